import { checkOptions, InvalidArgumentError } from '@clonepool/core';
import type { Distribution } from './distribution/index.js';
import { parseServers, type ServerAddress } from './servers.js';

/**
 * The `gutter` option: a few spare servers that take the keys of a failed
 * server, as in Facebook's memcache paper, instead of spreading them over the
 * remaining servers.
 *
 * With `removeFailed: n`, a server that failed `n` times in a row is ejected as
 * usual, but the ring does not change: each key of the ejected server goes to
 * a gutter server (picked by the same distribution over the gutter servers),
 * and every other key stays where it was. Writes that reach a gutter server
 * (`set`, `add`, `replace`, `cas`, `touch`, `gat`, and each item of
 * `setMulti`) expire within `ttl` seconds, whatever TTL they asked for, so
 * what the gutter holds goes stale only briefly. When the server answers its
 * probe again, its keys go back to it.
 *
 * The surviving servers take none of the failed server's load (with plain
 * `removeFailed` each takes a share of its keys, all of them misses at first),
 * and a server can be ejected under `modula` too, since no key moves between
 * the servers of the list.
 *
 * @example
 * ```ts
 * import { Client, type GutterOptions } from '@clonepool/memcached';
 *
 * const [a, b, spare] = (process.env.MEMCACHED_SERVERS ?? 'localhost:11211,localhost:11212,localhost:11213').split(',');
 * const gutter: GutterOptions = { servers: [spare!], ttl: 10 };
 * // Nothing listens on port 9: its keys go to the gutter server once it is ejected.
 * const client = new Client([a!, b!, '127.0.0.1:9'], { distribution: 'ketama', removeFailed: 1, gutter });
 * client.on('eject', (server) => console.log('ejected', server));
 * const keys = Array.from({ length: 60 }, (_, i) => `doc:gutter:${i}`);
 * await client.setMulti(keys.map((key) => [key, 1] as const)); // its share fails once, and it is ejected
 * console.log(await client.setMulti(keys.map((key) => [key, 2] as const)));
 * console.log((await client.getMulti(keys)).size);
 * await client.close();
 * // → ejected 127.0.0.1:9
 * // → []
 * // → 60
 * ```
 */
export interface GutterOptions {
  /** The gutter servers, as the client's own servers are written; none of them may be in the client's list. */
  readonly servers: string | readonly string[];
  /**
   * The longest a write to a gutter server may live, in seconds (1 to 2592000):
   * a write that asks for no expiry, or a longer one, gets this.
   * @default 10
   */
  readonly ttl?: number;
}

/** The `gutter` option after validation. */
export interface ParsedGutter {
  readonly servers: readonly ServerAddress[];
  readonly ttl: number;
}

/** The longest TTL memcached reads as seconds rather than as a Unix time: 30 days. */
const MAX_RELATIVE_TTL = 2_592_000;
const DEFAULT_GUTTER_TTL = 10;
const GUTTER_OPTIONS = ['servers', 'ttl'];

/** Validates the `gutter` option; throws `InvalidArgumentError` (or `InvalidServerError` for a bad server). */
export function parseGutter(value: unknown, removeFailed: number): ParsedGutter | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('gutter', 'an object { servers, ttl }', value, 'option');
  }
  const { servers, ttl = DEFAULT_GUTTER_TTL } = checkOptions(value, GUTTER_OPTIONS, 'gutter');
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_RELATIVE_TTL) {
    throw new InvalidArgumentError('gutter.ttl', `an integer from 1 to ${MAX_RELATIVE_TTL} (seconds)`, ttl, 'option');
  }
  if (removeFailed === 0) {
    throw new InvalidArgumentError(
      'gutter',
      'given with removeFailed above 0 (the failures in a row that send a server’s keys to the gutter)',
      value,
      'option',
    );
  }
  return Object.freeze({ servers: parseServers(servers), ttl });
}

/**
 * A ring that sends the keys of the servers that are off to the gutter: a key whose server
 * (on the list's own ring) is off goes to a gutter server, picked by the gutter's ring; every
 * other key stays on its server. Made only while some server is off, so routing with no
 * server off costs nothing more.
 */
export class GutterRing implements Distribution {
  readonly #ring: Distribution | undefined;
  readonly #off: Uint8Array;
  readonly #gutter: Distribution | undefined;
  readonly #first: number;

  /**
   * @param ring - The list's ring; `undefined` for one server.
   * @param off - 1 at the index of each server that is off.
   * @param gutter - The gutter servers' ring; `undefined` for one gutter server.
   * @param first - The index of the first gutter server, after the list's servers.
   */
  constructor(ring: Distribution | undefined, off: Uint8Array, gutter: Distribution | undefined, first: number) {
    this.#ring = ring;
    this.#off = off;
    this.#gutter = gutter;
    this.#first = first;
  }

  serverFor(key: Uint8Array): number {
    const server = this.#ring === undefined ? 0 : this.#ring.serverFor(key);
    if (this.#off[server] === 0) return server;
    return this.#first + (this.#gutter === undefined ? 0 : this.#gutter.serverFor(key));
  }
}
