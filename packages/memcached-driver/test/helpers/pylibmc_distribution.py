"""Asks libmemcached itself, through pylibmc and ctypes, how it hashes and places keys.

Reads one JSON request on stdin and writes one JSON answer on stdout; the
distribution tests run it with /usr/bin/python3 (Debian's python3-pylibmc).
Keys travel as hex so that any bytes survive JSON.

Requests:
  {"op": "digest", "hashes": {"md5": 1, ...}, "keys": [hex, ...]}
      -> {"md5": [uint32, ...], ...}: libhashkit_digest(key, algorithm) from libhashkit.so.2
  {"op": "place", "servers": [spec, ...], "behaviors": {...}, "keys": [hex, ...]}
      -> [index, ...]: pylibmc Client.hash(key), which is libmemcached's
         memcached_generate_hash: the index of the server that owns the key
         (no server is contacted)
  {"op": "set", "servers": [spec, ...], "behaviors": {...}, "keys": [hex, ...]}
      -> {"failed": [hex, ...]}: pylibmc sets every key (value b"v") on the real servers
  {"op": "get", "servers": [...], "behaviors": {...}, "keys": [hex, ...]}
      -> {"missing": [hex, ...]}: pylibmc get_multi of every key
  {"op": "eject", "servers": [...], "behaviors": {...}, "keys": [hex, ...], "server": i}
      -> {"before": [index, ...], "after": [index, ...]}: placements before and
         after libmemcached's auto-eject (auto_eject=1, failure_limit=1) took
         server i, which must refuse connections, off the ring
  {"op": "info"} -> {"pylibmc": version, "libmemcached": version, "behaviors": {...}}
"""
import ctypes
import json
import sys

import pylibmc


def client(request):
    behaviors = dict(request.get("behaviors") or {})
    if "namespace" in behaviors:
        # pylibmc 1.6.3 garbles a str namespace ("bad key provided"); bytes work.
        behaviors["namespace"] = behaviors["namespace"].encode()
    return pylibmc.Client(request["servers"], behaviors=behaviors or None)


def keys(request):
    return [bytes.fromhex(k) for k in request["keys"]]


def main():
    request = json.load(sys.stdin)
    op = request["op"]
    if op == "digest":
        hashkit = ctypes.CDLL("libhashkit.so.2")
        digest = hashkit.libhashkit_digest
        digest.restype = ctypes.c_uint32
        digest.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
        answer = {name: [digest(k, len(k), algorithm) for k in keys(request)]
                  for name, algorithm in request["hashes"].items()}
    elif op == "place":
        c = client(request)
        answer = [c.hash(k) for k in keys(request)]
    elif op == "set":
        c = client(request)
        failed = []
        batch = {}
        for k in keys(request):
            batch[k] = b"v"
            if len(batch) == 500:
                failed += c.set_multi(batch)
                batch = {}
        if batch:
            failed += c.set_multi(batch)
        answer = {"failed": [k.hex() for k in failed]}
    elif op == "get":
        c = client(request)
        wanted = keys(request)
        found = {}
        for i in range(0, len(wanted), 500):
            found.update(c.get_multi(wanted[i:i + 500]))
        answer = {"missing": [k.hex() for k in wanted if k not in found]}
    elif op == "eject":
        behaviors = dict(request.get("behaviors") or {}, auto_eject=1, failure_limit=1, retry_timeout=600)
        c = pylibmc.Client(request["servers"], behaviors=behaviors)
        wanted = keys(request)
        before = [c.hash(k) for k in wanted]
        victims = [k for k, s in zip(wanted, before) if s == request["server"]]
        for k in victims[:10]:
            try:
                c.get(k)
            except pylibmc.ServerDead:
                break
            except pylibmc.Error:
                pass
        answer = {"before": before, "after": [c.hash(k) for k in wanted]}
    elif op == "info":
        c = pylibmc.Client(["127.0.0.1:1", "127.0.0.1:2"])
        answer = {"pylibmc": pylibmc.__version__, "libmemcached": pylibmc.libmemcached_version,
                  "behaviors": dict(c.behaviors)}
    else:
        raise ValueError(f"unknown op {op!r}")
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
