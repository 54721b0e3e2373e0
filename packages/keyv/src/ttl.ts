import { InvalidArgumentError } from '@clonepool/memcached';

/** The latest Unix time memcached takes as an expiry (its exptime is a signed 32-bit number): January 2038. */
const MAX_EXPTIME = 2 ** 31 - 1;

/** How long an item lives: the moment Keyv's TTL ends, and the seconds memcached is asked to keep it. */
export interface Lifetime {
  /** When the value stops being readable, in ms since the epoch; `undefined` when it never does. */
  readonly deadline: number | undefined;
  /** The TTL sent to memcached, in whole seconds; `0` keeps the item until it is evicted. */
  readonly seconds: number;
}

const FOREVER: Lifetime = Object.freeze({ deadline: undefined, seconds: 0 });

/**
 * Turns Keyv's TTL (milliseconds) into a {@link Lifetime} at `nowMs`.
 *
 * memcached counts in whole seconds on a clock that ticks once a second, so an
 * item stored for N seconds lives between N − 1 and N seconds: stored just
 * before a tick with a TTL of 1, it is gone a few milliseconds later. So the
 * milliseconds are rounded up to seconds and one second is added: memcached
 * keeps the item at least as long as Keyv's TTL, never less, and the deadline
 * written with the item ends it at the exact millisecond (the store and Keyv
 * both check it). 1 ms is 2 s on the server, 1000 ms is 2 s, 1001 ms is 3 s.
 *
 * `undefined`, `0` and `Infinity` mean no TTL, as in Keyv. A negative TTL has
 * already ended: the item is written (it must hide the value it replaces) with
 * a deadline in the past. A TTL whose end would pass memcached's limit
 * (January 2038) is kept by memcached without expiry and ended by the deadline.
 *
 * @throws InvalidArgumentError (`ERR_INVALID_ARG_VALUE`) for `NaN` or a non-number.
 */
export function lifetime(ttlMs: unknown, nowMs: number): Lifetime {
  if (ttlMs === undefined || ttlMs === 0 || ttlMs === Number.POSITIVE_INFINITY) return FOREVER;
  if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs) || ttlMs === Number.NEGATIVE_INFINITY) {
    throw new InvalidArgumentError('ttl', 'a number of milliseconds (undefined, 0 or Infinity for none)', ttlMs);
  }
  const deadline = nowMs + ttlMs;
  if (ttlMs < 0) return { deadline, seconds: 1 };
  // max(1, …): a TTL under 1e-305 ms divides to 0, and would round up to nothing.
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000)) + 1;
  return { deadline, seconds: nowMs / 1000 + seconds > MAX_EXPTIME ? 0 : seconds };
}
