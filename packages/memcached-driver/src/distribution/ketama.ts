// Consistent hashing as libmemcached builds and searches it (hosts.cc,
// update_continuum and ketama_server_hash; hash.cc, dispatch_host).
//
// Each server owns points on a ring of 2^32 values; a key belongs to the
// server of the first point at or after the key's hash, wrapping to the
// first point of the ring:
//
//            point(B) ──┐      ┌── hash(key) → server A
//       0 ─────●────────●───▲──●──────●──────── 2^32 ─┐
//              A        B   │  A      C              │
//              ▲            key                      │
//              └────────── wraps to the first point ─┘
//
// Two continuums, chosen by libmemcached's "weighted" flag:
// - plain ketama: 100 points per server, point i hashed from its name with the
//   key hash (one_at_a_time unless `hash` is set);
// - weighted: 160 points per server scaled by its share of the total weight,
//   four points per MD5 digest of each name.

import { type HashFunction, md5Digest } from './hash.js';
import type { DistributionServer } from './index.js';

/**
 * Points per server on a plain ketama continuum (libmemcached's `MEMCACHED_POINTS_PER_SERVER`).
 *
 * @example
 * ```ts
 * import { KETAMA_POINTS_PER_SERVER } from '@clonepool/memcached';
 *
 * console.log(KETAMA_POINTS_PER_SERVER);
 * // → 100
 * ```
 */
export const KETAMA_POINTS_PER_SERVER = 100;

/**
 * Points per server of average weight on a weighted continuum (libmemcached's `MEMCACHED_POINTS_PER_SERVER_KETAMA`).
 *
 * @example
 * ```ts
 * import { KETAMA_POINTS_PER_SERVER_WEIGHTED } from '@clonepool/memcached';
 *
 * console.log(KETAMA_POINTS_PER_SERVER_WEIGHTED);
 * // → 160
 * ```
 */
export const KETAMA_POINTS_PER_SERVER_WEIGHTED = 160;

// The port libmemcached leaves out of point names (MEMCACHED_DEFAULT_PORT); the
// same number as servers.ts DEFAULT_PORT, kept here so the ring reads on its own.
const DEFAULT_PORT = 11211;

// Points per MD5 digest on a weighted continuum: one per 4-byte word.
const POINTS_PER_DIGEST = 4;

/**
 * The name libmemcached hashes for point `index` of `server`: `host:port-index`, or `host-index` on port 11211.
 *
 * Leaving the default port out is libmemcached's rule (a client that writes
 * `host:11211-0` places every key differently; memcached #208).
 *
 * @example
 * ```ts
 * import { ketamaPointName } from '@clonepool/memcached';
 *
 * console.log(ketamaPointName({ host: '10.0.0.1', port: 11211, weight: 1 }, 0));
 * console.log(ketamaPointName({ host: '10.0.0.1', port: 11212, weight: 1 }, 7));
 * // → 10.0.0.1-0
 * // → 10.0.0.1:11212-7
 * ```
 */
export function ketamaPointName(server: DistributionServer, index: number): string {
  return server.port === DEFAULT_PORT ? `${server.host}-${index}` : `${server.host}:${server.port}-${index}`;
}

/**
 * How many points a server gets on a weighted continuum, computed in single precision as libmemcached does.
 *
 * `floor(weight / totalWeight * 160 / 4 * liveServers + 1e-10) * 4`, each step
 * rounded to a C `float`, so that shares like 1/3 round as they do in C.
 *
 * @param weight - The server's weight.
 * @param totalWeight - The sum of the weights of the servers on the ring.
 * @param liveServers - How many servers are on the ring.
 *
 * @example
 * ```ts
 * import { ketamaWeightedPoints } from '@clonepool/memcached';
 *
 * console.log(ketamaWeightedPoints(1, 3, 3), ketamaWeightedPoints(3, 6, 3));
 * // → 160 240
 * ```
 */
export function ketamaWeightedPoints(weight: number, totalWeight: number, liveServers: number): number {
  const f = Math.fround;
  const share = f(f(weight) / f(totalWeight));
  const points = f(f(f(f(share * KETAMA_POINTS_PER_SERVER_WEIGHTED) / POINTS_PER_DIGEST) * f(liveServers)) + f(1e-10));
  return Math.floor(points) * POINTS_PER_DIGEST;
}

/** How a {@link Ketama} continuum is built. */
export interface KetamaOptions {
  /** The key hash; on a plain continuum it also hashes the point names. */
  readonly hash: HashFunction;
  /**
   * Whether the continuum is weighted (160 MD5 points scaled by weight) or
   * plain (100 points hashed with `hash`). libmemcached turns this on for
   * `ketama_weighted`, and for `ketama` when a server has a weight above 1.
   */
  readonly weighted: boolean;
  /**
   * Indexes of servers left off the ring, as libmemcached's auto-eject
   * leaves off servers waiting out their retry timeout. Their keys go to the
   * next points; the others' keys stay where they are.
   */
  readonly ejected?: ReadonlySet<number> | undefined;
}

// Point values and owners are sorted together by packing (value, owner) into
// one float64: value * 2^21 + owner is exact below 2^53, and sorting it sorts
// by value, then by owner, as libmemcached's continuum_item_cmp does.
const OWNER_SPAN = 2 ** 21;

/**
 * Places keys on a ketama continuum built exactly as libmemcached builds it.
 *
 * `serverFor` hashes the key and binary-searches the sorted points for the
 * first at or after the hash, wrapping to the first point.
 *
 * @example
 * ```ts
 * import { hashOneAtATime, Ketama } from '@clonepool/memcached';
 *
 * const servers = [11212, 11213, 11214].map((port) => ({ host: '127.0.0.1', port, weight: 1 }));
 * const ring = new Ketama(servers, { hash: hashOneAtATime, weighted: false });
 * console.log(ring.points, ring.serverFor(new TextEncoder().encode('foo')));
 * // → 300 1
 * ```
 */
export class Ketama {
  readonly #hash: HashFunction;
  readonly #values: Uint32Array;
  readonly #owners: Uint32Array;

  /**
   * @param servers - The servers, already checked (`createDistribution` checks them); at least one not ejected.
   * @param options - The key hash, whether the continuum is weighted, and which servers are ejected.
   */
  constructor(servers: readonly DistributionServer[], options: KetamaOptions) {
    this.#hash = options.hash;
    const packed = buildPoints(servers, options).sort();
    this.#values = new Uint32Array(packed.length);
    this.#owners = new Uint32Array(packed.length);
    for (let i = 0; i < packed.length; i++) {
      const point = packed[i] as number;
      const owner = point % OWNER_SPAN;
      this.#owners[i] = owner;
      this.#values[i] = (point - owner) / OWNER_SPAN;
    }
  }

  /** How many points the continuum has. */
  get points(): number {
    return this.#values.length;
  }

  /** The index of the server that owns `key`. */
  serverFor(key: Uint8Array): number {
    const hash = this.#hash(key);
    const values = this.#values;
    let low = 0;
    let high = values.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((values[middle] as number) < hash) low = middle + 1;
      else high = middle;
    }
    return this.#owners[low === values.length ? 0 : low] as number;
  }
}

/** The continuum's points, packed as value * OWNER_SPAN + server index, unsorted. */
function buildPoints(servers: readonly DistributionServer[], options: KetamaOptions): Float64Array {
  const { hash, weighted, ejected } = options;
  const encoder = new TextEncoder();
  const live: number[] = [];
  for (let i = 0; i < servers.length; i++) if (!ejected?.has(i)) live.push(i);

  if (!weighted) {
    const points = new Float64Array(live.length * KETAMA_POINTS_PER_SERVER);
    let at = 0;
    for (const owner of live) {
      const server = servers[owner] as DistributionServer;
      for (let p = 0; p < KETAMA_POINTS_PER_SERVER; p++) {
        points[at++] = hash(encoder.encode(ketamaPointName(server, p))) * OWNER_SPAN + owner;
      }
    }
    return points;
  }

  let totalWeight = 0;
  for (const owner of live) totalWeight += (servers[owner] as DistributionServer).weight;
  const counts = live.map((owner) =>
    ketamaWeightedPoints((servers[owner] as DistributionServer).weight, totalWeight, live.length),
  );
  const points = new Float64Array(counts.reduce((sum, n) => sum + n, 0));
  let at = 0;
  live.forEach((owner, l) => {
    const server = servers[owner] as DistributionServer;
    const names = (counts[l] as number) / POINTS_PER_DIGEST;
    for (let p = 0; p < names; p++) {
      const digest = md5Digest(encoder.encode(ketamaPointName(server, p)));
      for (let word = 0; word < POINTS_PER_DIGEST; word++) {
        points[at++] = digest.readUInt32LE(word * 4) * OWNER_SPAN + owner;
      }
    }
  });
  return points;
}
