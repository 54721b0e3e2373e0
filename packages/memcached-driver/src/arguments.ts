// The checks of command arguments, made before anything is sent: each returns the value as
// the protocol takes it, or throws InvalidArgumentError (ERR_INVALID_ARG_VALUE). Keys are
// checked by keys.ts, values by values.ts.
import { checkOptions } from '@clonepool/core';
import { InvalidArgumentError, OperationAbortedError } from './errors.js';

/** The options every command that waits for a reply takes. */
const COMMAND_OPTIONS = ['signal'];
/** A write's options. */
const WRITE_OPTIONS = ['ttl', 'noreply', 'signal'];
/** An `incr`/`decr`'s options. */
const COUNTER_OPTIONS = ['bigint', 'signal'];

/** memcached reads an exptime above this many seconds (30 days) as a Unix time, not a duration. */
const MAX_RELATIVE_TTL = 30 * 24 * 60 * 60;
/** The latest Unix time memcached takes as an exptime (a signed 32-bit number): January 2038. */
const MAX_EXPTIME = 2 ** 31 - 1;
const MAX_U64 = 2n ** 64n - 1n;
/** What a stats sub-command may hold: it goes on the wire as it is. */
const STATS_SUBCOMMAND = /^[A-Za-z0-9_ ]{1,64}$/;

/**
 * The one conversion of a TTL (or flush delay) in seconds into the exptime memcached
 * takes, for every command: memcached reads a number above 30 days as a Unix time, so a
 * longer duration is sent as now + `ttl`; one that would end after memcached's 32-bit
 * limit is refused.
 */
export function exptime(ttl: unknown, name: string): number {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0) {
    throw new InvalidArgumentError(name, 'an integer number of seconds, 0 or more', ttl);
  }
  if (ttl <= MAX_RELATIVE_TTL) return ttl;
  const now = Math.floor(Date.now() / 1000);
  if (ttl > MAX_EXPTIME - now) {
    throw new InvalidArgumentError(
      name,
      `at most ${MAX_EXPTIME - now} seconds: above 30 days it is sent as the Unix time now + ${name}, which memcached takes only up to 2^31-1 (${MAX_EXPTIME}, January 2038)`,
      ttl,
    );
  }
  return now + ttl;
}

/** A write's options after checking: the TTL as the exptime to send. */
export interface ParsedWrite {
  readonly ttl: number;
  readonly noreply: boolean;
  readonly signal: AbortSignal | undefined;
}

const NO_WRITE_OPTIONS: ParsedWrite = Object.freeze({ ttl: 0, noreply: false, signal: undefined });

/** A write's options (`where` names the command, as `set()`), with the TTL as the exptime to send. */
export function writeOptions(options: unknown, where: string): ParsedWrite {
  if (options === undefined) return NO_WRITE_OPTIONS;
  const { ttl = 0, noreply = false, signal } = checkOptions(options, WRITE_OPTIONS, where);
  const expires = exptime(ttl, 'ttl');
  if (typeof noreply !== 'boolean') throw new InvalidArgumentError('noreply', 'a boolean', noreply, 'option');
  return { ttl: expires, noreply, signal: signalOf(signal) };
}

/**
 * The `signal` of a command's options (`where` names the command, as `get()`), or
 * `undefined`. Unknown option names are refused, and a signal that has aborted already
 * rejects the command before anything is sent.
 */
export function commandSignal(options: unknown, where: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  return signalOf(checkOptions(options, COMMAND_OPTIONS, where).signal);
}

/** An `incr`/`decr`'s options: whether to resolve a `bigint`, and its signal. */
export function counterOptions(options: unknown, where: string): { bigint: boolean; signal: AbortSignal | undefined } {
  if (options === undefined) return { bigint: false, signal: undefined };
  const { bigint = false, signal } = checkOptions(options, COUNTER_OPTIONS, where);
  if (typeof bigint !== 'boolean') throw new InvalidArgumentError('bigint', 'a boolean', bigint, 'option');
  return { bigint, signal: signalOf(signal) };
}

/** A `signal` option, checked: an `AbortSignal` that has not aborted (an aborted one throws {@link OperationAbortedError}). */
export function signalOf(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal', 'an AbortSignal', signal, 'option');
  if (signal.aborted) throw new OperationAbortedError(signal.reason);
  return signal;
}

/** An `incr`/`decr` delta: 0 to 2^64−1, as a safe-integer `number` or a `bigint`. */
export function delta(value: unknown): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_U64) return value;
  throw new InvalidArgumentError('delta', 'an integer from 0 to 2^64-1 (a bigint beyond 2^53)', value);
}

/** A CAS token, as `gets` returns it: a `bigint` from 0 to 2^64−1. */
export function casToken(value: unknown): bigint {
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_U64) return value;
  throw new InvalidArgumentError('cas', 'a bigint CAS token from gets()', value);
}

/** Refuses keys that are not an iterable object (a string is one key, not many). */
export function checkKeys(keys: unknown): void {
  if (keys === null || typeof keys !== 'object' || !(Symbol.iterator in keys)) {
    throw new InvalidArgumentError('keys', 'an iterable of keys', keys);
  }
}

/**
 * The keys of a multi-key command as a list read once: an array as it is, another
 * iterable copied, anything else passed on for the command to refuse.
 */
export function keyList<K>(keys: Iterable<K>): Iterable<K> {
  if (Array.isArray(keys) || keys === null || typeof keys !== 'object' || !(Symbol.iterator in keys)) return keys;
  return [...keys];
}

/** The `[key, value]` pairs of `setMulti`'s entries: a `Map`, another iterable of pairs, or an object's own entries. */
export function entryPairs<K>(entries: unknown): Iterable<readonly [K, unknown]> {
  if (entries === null || typeof entries !== 'object') {
    throw new InvalidArgumentError('entries', 'a Map, an iterable of [key, value] pairs or an object', entries);
  }
  if (Symbol.iterator in entries) return entries as Iterable<readonly [K, unknown]>;
  return Object.entries(entries) as unknown as [K, unknown][];
}

/** `setMulti`'s entries read once, and the keys among them, for a trace to name. */
export interface ReadEntries<K> {
  readonly pairs: readonly (readonly [K, unknown])[];
  readonly keys: K[];
}

/** Reads `setMulti`'s entries (a generator can be read once), and the keys of those that are pairs. */
export function readEntries<K>(entries: unknown): ReadEntries<K> {
  const pairs = [...entryPairs<K>(entries)];
  const keys: K[] = [];
  for (const entry of pairs) if (Array.isArray(entry)) keys.push(entry[0]);
  return { pairs, keys };
}

/** One of `entryPairs`' pairs, checked to be one. */
export function pair<K>(entry: unknown): readonly [K, unknown] {
  if (!Array.isArray(entry)) throw new InvalidArgumentError('entries', 'made of [key, value] pairs', entry);
  return entry as unknown as readonly [K, unknown];
}

/** A `stats` sub-command such as `items` or `slabs`, or none. */
export function statsSubcommand(subcommand: unknown): string | undefined {
  if (subcommand === undefined) return undefined;
  if (typeof subcommand !== 'string' || !STATS_SUBCOMMAND.test(subcommand)) {
    throw new InvalidArgumentError('subcommand', 'a stats sub-command such as "items" or "slabs"', subcommand);
  }
  return subcommand;
}

/** A `verbosity` level: memcached has 0 to 2. */
export function verbosityLevel(level: unknown): number {
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 2) {
    throw new InvalidArgumentError('level', 'an integer from 0 to 2', level);
  }
  return level;
}
