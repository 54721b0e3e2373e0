"""Prints the distribution test vectors, computed by libmemcached itself.

    /usr/bin/python3 test/helpers/pylibmc_vectors.py > test/fixtures/distribution-vectors.json

Hash values come from libhashkit_digest (libhashkit.so.2, through ctypes);
placements from pylibmc's Client.hash(key), which is libmemcached's
memcached_generate_hash: the index of the server that owns the key, computed
without contacting any server, so the vectors may name port 11211, IPv6 hosts
and UNIX sockets. The output is deterministic; distribution-vectors.test.ts
runs this script again and checks that it still prints the committed file.
"""
import ctypes
import json
import random
import sys

import pylibmc

HASHES = {"default": 0, "md5": 1, "crc": 2, "fnv1_64": 3, "fnv1a_64": 4,
          "fnv1_32": 5, "fnv1a_32": 6, "murmur": 8, "jenkins": 9}


def make_keys():
    rng = random.Random(6)
    keys = [b"", b"a", b"foo", b"foo:bar", "clé".encode(), "ключ".encode(), "鍵".encode(), b"\x80\xff\x00\x7f"]
    # Every length from 0 to 40 exercises the tails of murmur and jenkins.
    keys += [bytes(rng.randrange(256) for _ in range(n)) for n in range(41)]
    keys += [f"key:{i}".encode() for i in range(400)]
    keys += [f"user:{i}:profile:é".encode() for i in range(200)]
    keys += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 250))) for _ in range(350)]
    return keys


def digest_all(keys):
    hashkit = ctypes.CDLL("libhashkit.so.2")
    digest = hashkit.libhashkit_digest
    digest.restype = ctypes.c_uint32
    digest.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    return {name: [digest(k, len(k), algorithm) for k in keys] for name, algorithm in HASHES.items()}


def local(n, first=11212, host="127.0.0.1"):
    return [f"{host}:{first + i}" for i in range(n)]


WEIGHTED5 = ["127.0.0.1:11212:1", "127.0.0.1:11213:2", "127.0.0.1:11214:3", "127.0.0.1:11215:5", "127.0.0.1:11216:1"]
DEFAULT_PORT3 = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11212"]
MIXED = ["localhost:11211", "[::1]:11212", "[2001:db8::7]:11211", "cache-a.example.com:11213:2"]
SOCKETS = ["/run/memcached/a.sock", "/run/memcached/b.sock", "/run/memcached/c.sock"]


def configs():
    yield "modula over 3", local(3), None
    yield "modula over 10", local(10), None
    yield "modula over 1", local(1), None
    for name in HASHES:
        if name != "default":
            yield f"modula over 5, hash {name}", local(5), {"hash": name}
    yield "ketama over 3", local(3), {"ketama": True}
    yield "ketama over 10", local(10), {"ketama": True}
    yield "ketama over 3 on port 11211 (host-index point names)", DEFAULT_PORT3, {"ketama": True}
    yield "ketama over host names and IPv6 addresses, one weighted", MIXED, {"ketama": True}
    yield "ketama over UNIX sockets", SOCKETS, {"ketama": True}
    for name in HASHES:
        if name != "default":
            yield f"ketama over 5, hash {name}", local(5), {"ketama": True, "hash": name}
    yield "ketama over 5 with unequal weights", WEIGHTED5, {"ketama": True}
    yield "ketama over 5 with unequal weights, hash fnv1a_32", WEIGHTED5, {"ketama": True, "hash": "fnv1a_32"}
    yield "ketama_weighted over 3", local(3), {"ketama_weighted": True}
    yield "ketama_weighted over 5 with unequal weights", WEIGHTED5, {"ketama_weighted": True}
    yield "ketama_weighted over 5 with unequal weights on port 11211", [
        "10.0.0.1:11211:4", "10.0.0.2:11211:1", "10.0.0.3:11211:7", "10.0.0.4:11212:2", "10.0.0.5:11211:3"], {"ketama_weighted": True}
    yield "ketama_weighted over 7 with weights rounding in single precision", [
        f"127.0.0.1:{11212 + i}:{w}" for i, w in enumerate([1, 3, 7, 13, 29, 2, 1])], {"ketama_weighted": True}
    # 4/50 of 160/4 * 5 is 16 in double precision but 15.99999 in C's float: 60 points, not 64.
    yield "ketama_weighted over 5 where float and double round apart", [
        f"127.0.0.1:{11212 + i}:{w}" for i, w in enumerate([4, 20, 3, 7, 16])], {"ketama_weighted": True}
    yield "ketama over 5 with weights where float and double round apart", [
        f"127.0.0.1:{11212 + i}:{w}" for i, w in enumerate([1, 10, 9, 4, 1])], {"ketama": True}
    yield "ketama_weighted over host names and IPv6 addresses", MIXED, {"ketama_weighted": True}
    yield "ketama_weighted over UNIX sockets", SOCKETS, {"ketama_weighted": True}


def main():
    keys = make_keys()
    placements = []
    for name, servers, behaviors in configs():
        c = pylibmc.Client(servers, behaviors=behaviors)
        placements.append({"name": name, "servers": servers, "behaviors": behaviors or {},
                           "effective": {k: c.behaviors[k] for k in ("hash", "distribution", "ketama", "ketama_weighted")},
                           "servers_for": [c.hash(k) for k in keys]})
    json.dump({"generator": "test/helpers/pylibmc_vectors.py",
               "pylibmc": pylibmc.__version__, "libmemcached": pylibmc.libmemcached_version,
               "keys": [k.hex() for k in keys], "hashes": digest_all(keys), "placements": placements},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
