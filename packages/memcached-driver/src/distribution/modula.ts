// Modula: libmemcached's default distribution (hash.cc, dispatch_host).
import type { HashFunction } from './hash.js';

/**
 * Places keys as libmemcached's modula distribution does: `hash(key) % serverCount`.
 *
 * libmemcached skips the hash when there is one server; the answer is 0 either way.
 * Adding or removing a server moves most keys (all but about 1/n of them);
 * use ketama when servers come and go.
 *
 * @example
 * ```ts
 * import { hashOneAtATime, Modula } from '@clonepool/memcached';
 *
 * const modula = new Modula(3, hashOneAtATime);
 * console.log(modula.serverFor(new TextEncoder().encode('foo')));
 * // → 0
 * ```
 */
export class Modula {
  readonly #count: number;
  readonly #hash: HashFunction;

  /**
   * @param serverCount - How many servers, at least 1 (checked by `createDistribution`).
   * @param hash - The key hash.
   */
  constructor(serverCount: number, hash: HashFunction) {
    this.#count = serverCount;
    this.#hash = hash;
  }

  /** The index of the server that owns `key`. */
  serverFor(key: Uint8Array): number {
    return this.#count === 1 ? 0 : this.#hash(key) % this.#count;
  }
}
