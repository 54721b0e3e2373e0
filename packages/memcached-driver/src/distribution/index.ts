// The contract between the client and key distribution. The client parses
// server specs (servers.ts) and asks a Distribution which server owns a key;
// the algorithms (modula, ketama, weighted ketama, and the hash functions
// libmemcached uses) live in this folder and match libmemcached exactly.
import { checkOptions, InvalidArgumentError } from '@clonepool/core';
import { type KeyHash, keyHashes } from './hash.js';
import { Ketama } from './ketama.js';
import { Modula } from './modula.js';

/** One server as the distribution sees it. */
export interface DistributionServer {
  /** Host name or address as written in the spec (no brackets for IPv6), or the socket path for a UNIX socket. */
  readonly host: string;
  /** TCP port; 0 for a UNIX socket. */
  readonly port: number;
  /** The weight from `host:port:weight`; 1 when not given. */
  readonly weight: number;
}

/** How keys are spread over servers; the names are pylibmc's. */
export type DistributionKind = 'modula' | 'ketama' | 'ketama-weighted';

/** Picks the server that owns a key. */
export interface Distribution {
  /**
   * The index, in the server list the distribution was made with, of the
   * server that owns `key` (the key as hashed: without the prefix unless the
   * client hashes it, see the docs).
   */
  serverFor(key: Uint8Array): number;
}

/** Options of {@link createDistribution} beyond the kind. */
export interface DistributionOptions {
  /**
   * The key hash, pylibmc's `hash` behavior. It places keys under every kind,
   * and on a plain ketama ring it also places the servers' points.
   *
   * @default `'default'` (one-at-a-time) for `'modula'` and `'ketama'`; `'md5'` for `'ketama-weighted'`,
   * which libmemcached's `ketama_weighted` behavior sets.
   */
  readonly hash?: KeyHash | undefined;
  /**
   * Indexes of servers to leave off a ketama ring, as libmemcached's
   * auto-eject does while a failed server waits out its retry timeout: the
   * ring is rebuilt over the remaining servers (a weighted ring re-shares
   * its points among them), so the ejected servers' keys move and no other
   * key does. Modula ignores it, as libmemcached does: keys of an ejected
   * server stay there and fail. Checked against pylibmc with
   * `auto_eject: 1, failure_limit: 1` and a server refusing connections.
   *
   * @default none
   */
  readonly ejected?: ReadonlySet<number> | undefined;
}

const KINDS: readonly DistributionKind[] = ['modula', 'ketama', 'ketama-weighted'];
const OPTIONS: readonly string[] = ['hash', 'ejected'];

/**
 * Makes the distribution of `kind` over `servers`, computed as libmemcached computes it.
 *
 * Each kind matches a pylibmc configuration, so both clients place every key
 * on the same server when given the same servers in the same order:
 *
 * | kind | pylibmc `behaviors` | ring |
 * | --- | --- | --- |
 * | `'modula'` | none (the default) | `hash(key) % servers.length` |
 * | `'ketama'` | `{"ketama": True}` | 100 points per server hashed with `hash`; if any weight is above 1, the weighted ring below (libmemcached switches it on), keys still hashed with `hash` |
 * | `'ketama-weighted'` | `{"ketama_weighted": True}` | 160 MD5 points per server scaled by its share of the total weight; keys hashed with MD5 |
 *
 * A `hash` option matches pylibmc's `hash` behavior. Host names are hashed as
 * written, so `localhost` and `127.0.0.1` are different servers to ketama,
 * and port 11211 is left out of the point names as libmemcached does.
 *
 * @param servers - The servers, in the order of the client's server list (at least one).
 * @param kind - The algorithm, by its pylibmc name.
 * @param options - The key hash, and servers ejected from a ketama ring.
 * @throws {InvalidArgumentError} (`ERR_INVALID_ARG_VALUE`) When a server, the kind or an option is not one the algorithm can take, or an option's name is unknown.
 *
 * @example
 * ```ts
 * import { createDistribution } from '@clonepool/memcached';
 *
 * const servers = [
 *   { host: '10.0.0.1', port: 11211, weight: 1 },
 *   { host: '10.0.0.2', port: 11211, weight: 1 },
 *   { host: '10.0.0.3', port: 11211, weight: 1 },
 * ];
 * const key = new TextEncoder().encode('foo');
 * // pylibmc.Client(["10.0.0.1", "10.0.0.2", "10.0.0.3"]).hash("foo") is 0
 * console.log(createDistribution(servers, 'modula').serverFor(key));
 * // ... and with behaviors={"ketama": True} it is 2
 * console.log(createDistribution(servers, 'ketama').serverFor(key));
 * // → 0
 * // → 2
 * ```
 */
export function createDistribution(
  servers: readonly DistributionServer[],
  kind: DistributionKind,
  options: DistributionOptions = {},
): Distribution {
  checkServers(servers);
  checkOptions(options, OPTIONS, 'createDistribution()');
  if (!KINDS.includes(kind)) throw new InvalidArgumentError('distribution', `one of ${quoteAll(KINDS)}`, kind);
  const hashName = options.hash ?? (kind === 'ketama-weighted' ? 'md5' : 'default');
  if (!Object.hasOwn(keyHashes, hashName)) {
    throw new InvalidArgumentError('hash', `one of ${quoteAll(Object.keys(keyHashes))}`, hashName, 'option');
  }
  const hash = keyHashes[hashName];
  if (kind === 'modula') return new Modula(servers.length, hash);

  const { ejected } = options;
  if (ejected !== undefined) {
    for (const index of ejected) {
      if (!Number.isInteger(index) || index < 0 || index >= servers.length) {
        throw new InvalidArgumentError('ejected', `indexes of servers (0 to ${servers.length - 1})`, index, 'option');
      }
    }
    if (ejected.size >= servers.length) {
      throw new InvalidArgumentError(
        'ejected',
        'a set that leaves at least one server on the ring',
        'every server',
        'option',
      );
    }
  }
  // libmemcached weighs a `ketama` ring as soon as one server has a weight
  // above 1 (server_add in hosts.cc, as pylibmc adds servers after behaviors).
  const weighted = kind === 'ketama-weighted' || servers.some((server) => server.weight > 1);
  return new Ketama(servers, { hash, weighted, ejected });
}

function checkServers(servers: readonly DistributionServer[]): void {
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new InvalidArgumentError('servers', 'a non-empty array of servers', servers);
  }
  // The continuum packs a server's index into 21 bits (ketama.ts).
  if (servers.length > 2 ** 21) throw new InvalidArgumentError('servers', 'at most 2097152 servers', servers.length);
  servers.forEach((server, i) => {
    if (typeof server?.host !== 'string' || server.host === '') {
      throw new InvalidArgumentError(`servers[${i}].host`, 'a non-empty string', server?.host);
    }
    if (!Number.isInteger(server.port) || server.port < 0 || server.port > 65535) {
      throw new InvalidArgumentError(`servers[${i}].port`, 'an integer from 0 to 65535', server.port);
    }
    if (!Number.isInteger(server.weight) || server.weight < 1 || server.weight > 65535) {
      throw new InvalidArgumentError(`servers[${i}].weight`, 'an integer from 1 to 65535', server.weight);
    }
  });
}

function quoteAll(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

export {
  type HashFunction,
  hashCrc,
  hashFnv1_32,
  hashFnv1_64,
  hashFnv1a_32,
  hashFnv1a_64,
  hashJenkins,
  hashMd5,
  hashMurmur,
  hashOneAtATime,
  type KeyHash,
  keyHashes,
} from './hash.js';
export {
  KETAMA_POINTS_PER_SERVER,
  KETAMA_POINTS_PER_SERVER_WEIGHTED,
  Ketama,
  type KetamaOptions,
  ketamaPointName,
  ketamaWeightedPoints,
} from './ketama.js';
export { Modula } from './modula.js';
