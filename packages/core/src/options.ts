import { InvalidArgumentError, ReserveAbortedError } from './errors.js';
import type { ReserveDefaults, ReserveOptions } from './pool.js';

/** Reserve options after validation, as strategies use them. *
 * @example
 * ```ts
 * import { parseReserveOptions } from '@clonepool/core';
 *
 * const { block, timeoutMs, signal } = parseReserveOptions({ block: true });
 * console.log(block, timeoutMs, signal);
 * // → true undefined undefined
 * ```
 */
export interface ParsedReserveOptions {
  /** Wait for a client rather than reject when none is free. */
  readonly block: boolean;
  /** How long to wait, when limited. */
  readonly timeoutMs: number | undefined;
  /** Stops the wait when it aborts. */
  readonly signal: AbortSignal | undefined;
}

const NON_BLOCKING: ParsedReserveOptions = Object.freeze({ block: false, timeoutMs: undefined, signal: undefined });
const BLOCKING: ParsedReserveOptions = Object.freeze({ block: true, timeoutMs: undefined, signal: undefined });

const RESERVE_OPTIONS: readonly string[] = ['block', 'timeoutMs', 'signal'];

/**
 * Checks an options object at an API's boundary: it must be a plain object
 * (not `null`, not an array), and every own name in it must be one the API
 * knows, so a misspelt option (`timeout` for `timeoutMs`) is refused rather
 * than silently ignored. Throws {@link InvalidArgumentError}, whose message
 * names the unknown option and lists the known ones. It costs one `for…in`
 * over the names given, and allocates nothing.
 *
 * @param options - What the caller passed.
 * @param known - The option names the API takes.
 * @param where - What took the options, for the message: `reserve()`, `new ClientPool()`.
 * @returns The options, typed as a record to read the values from.
 *
 * @example
 * ```ts
 * import { checkOptions } from '@clonepool/core';
 *
 * const known = ['graceMs'];
 * console.log(checkOptions({ graceMs: 100 }, known, 'close()').graceMs);
 * // → 100
 * try {
 *   checkOptions({ graceMS: 100 }, known, 'close()');
 * } catch (error) {
 *   console.log((error as Error).message);
 * }
 * // → Option graceMS is not one close() knows; its options are graceMs.
 * ```
 */
export function checkOptions(options: unknown, known: readonly string[], where: string): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', `an object (of ${where})`, options);
  }
  // for…in rather than Object.keys: no array is made. It also walks inherited
  // names, so the own-name test runs only for a name that is not known.
  for (const name in options) {
    if (!known.includes(name) && Object.hasOwn(options, name)) {
      throw InvalidArgumentError.unknownOption(name, known, where);
    }
  }
  return options as Record<string, unknown>;
}

/**
 * Validates {@link ReserveOptions} at a pool's boundary, over the pool's
 * defaults: each option given replaces the default's, the rest come from
 * `defaults` (made by {@link parseReserveDefaults}). Throws
 * {@link InvalidArgumentError} for an unknown option name, a wrong type, a
 * negative or NaN `timeoutMs`, or `timeoutMs`/`signal` given to a reserve
 * that does not block (they would be silently ignored otherwise), and
 * {@link ReserveAbortedError} when `signal` has already aborted, so a pool
 * never lends a client to a caller who gave up. `timeoutMs: Infinity` waits
 * without limit, over a default timeout too.
 *
 * Without options it returns `defaults` itself, and the common blocking
 * reserves share frozen objects, so the hot path allocates nothing.
 *
 * @param options - What the caller passed to `reserve()`.
 * @param defaults - The pool's defaults; pylibmc's non-blocking reserve when left out.
 * @returns The options with the defaults applied.
 *
 * @example
 * ```ts
 * import { parseReserveDefaults, parseReserveOptions } from '@clonepool/core';
 *
 * console.log(parseReserveOptions({ block: true, timeoutMs: 50 }).timeoutMs);
 * // → 50
 * const defaults = parseReserveDefaults({ block: true, timeoutMs: 2_000 });
 * console.log(parseReserveOptions(undefined, defaults).timeoutMs, parseReserveOptions({ timeoutMs: 10 }, defaults).timeoutMs);
 * // → 2000 10
 * console.log(parseReserveOptions({ block: false }, defaults).block);
 * // → false
 * try {
 *   parseReserveOptions({ timeout: 50 } as never);
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * // → ERR_INVALID_ARG_VALUE
 * ```
 */
export function parseReserveOptions(
  options: ReserveOptions | undefined,
  defaults: ParsedReserveOptions = NON_BLOCKING,
): ParsedReserveOptions {
  if (options === undefined) return defaults;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'an object (of reserve())', options);
  }
  // checkOptions, written out for the names of reserve(): this runs on a
  // contended pool's every reserve, and comparing with three interned strings
  // costs about half of a lookup in the list (a few ns per call, measured).
  for (const name in options) {
    if (name !== 'block' && name !== 'timeoutMs' && name !== 'signal' && Object.hasOwn(options, name)) {
      throw InvalidArgumentError.unknownOption(name, RESERVE_OPTIONS, 'reserve()');
    }
  }
  return resolve(options, defaults, '');
}

/**
 * Validates the default reserve options a pool takes at construction (its
 * `reserve` option), by the rules of {@link parseReserveOptions}, and refuses
 * a `signal`: one signal for every reserve of the pool's life would, once
 * aborted, fail them all for ever. Pass the result to `parseReserveOptions`.
 *
 * @param defaults - What the caller passed as the pool's `reserve` option.
 * @returns The defaults, parsed; pylibmc's non-blocking reserve when left out.
 *
 * @example
 * ```ts
 * import { parseReserveDefaults } from '@clonepool/core';
 *
 * console.log(parseReserveDefaults({ block: true, timeoutMs: 2_000 }));
 * // → { block: true, timeoutMs: 2000, signal: undefined }
 * try {
 *   parseReserveDefaults({ block: true, signal: AbortSignal.timeout(100) } as never);
 * } catch (error) {
 *   console.log((error as Error).message.split(' (')[0]);
 * }
 * // → Option reserve.signal must be left out of the pool's defaults
 * ```
 */
export function parseReserveDefaults(defaults: ReserveDefaults | undefined): ParsedReserveOptions {
  if (defaults === undefined) return NON_BLOCKING;
  const signal = (defaults as ReserveOptions | null)?.signal;
  if (signal !== undefined) {
    throw new InvalidArgumentError(
      'reserve.signal',
      "left out of the pool's defaults (once aborted it would fail every reserve for ever); pass a signal to each reserve() or use() instead",
      signal,
      'option',
    );
  }
  checkOptions(defaults, RESERVE_OPTIONS, "the pool's reserve option");
  return resolve(defaults, NON_BLOCKING, 'reserve.');
}

/** Checks the values of reserve options whose names were checked, and applies the defaults. */
function resolve(options: ReserveOptions, defaults: ParsedReserveOptions, prefix: string): ParsedReserveOptions {
  const { block = defaults.block, timeoutMs, signal } = options;
  if (typeof block !== 'boolean') throw new InvalidArgumentError(`${prefix}block`, 'a boolean', block, 'option');
  // `>= 0` is false for NaN; Infinity passes and means no limit.
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    throw new InvalidArgumentError(
      `${prefix}timeoutMs`,
      'a number of milliseconds >= 0 (Infinity for no limit)',
      timeoutMs,
      'option',
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${prefix}signal`, 'an AbortSignal', signal, 'option');
  }
  if (!block && timeoutMs !== undefined) {
    throw new InvalidArgumentError(
      `${prefix}timeoutMs`,
      `given only with ${prefix}block: true (a non-blocking reserve never waits)`,
      timeoutMs,
      'option',
    );
  }
  if (!block && signal !== undefined) {
    throw new InvalidArgumentError(
      `${prefix}signal`,
      `given only with ${prefix}block: true (a non-blocking reserve never waits)`,
      'a signal',
      'option',
    );
  }
  if (!block) return NON_BLOCKING;
  if (signal?.aborted) throw new ReserveAbortedError(signal.reason);
  const limit =
    timeoutMs === undefined ? defaults.timeoutMs : timeoutMs === Number.POSITIVE_INFINITY ? undefined : timeoutMs;
  if (signal === undefined) {
    // The common blocking reserves share one object, keeping the contended path free of allocation.
    if (limit === undefined) return BLOCKING;
    if (defaults.block && limit === defaults.timeoutMs) return defaults;
  }
  return { block: true, timeoutMs: limit, signal };
}

/**
 * Validates a duration option: a finite number of milliseconds, at least `min`.
 * It sets no upper bound: time such a duration with `LongTimeout`, not
 * `setTimeout`, which fires anything over 2^31 − 1 ms after 1 ms.
 *
 * @param name - The option's name, for the error message.
 * @param value - The value given.
 * @param min - The smallest value allowed.
 * @param kind - Whether `name` is an `option` or a positional `argument`, for the message.
 * @returns The value, typed.
 *
 * @example
 * ```ts
 * import { checkMilliseconds } from '@clonepool/core';
 *
 * console.log(checkMilliseconds('idleTimeoutMs', 1000, 1));
 * // → 1000
 * ```
 */
export function checkMilliseconds(
  name: string,
  value: unknown,
  min = 0,
  kind: 'argument' | 'option' = 'option',
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidArgumentError(name, `a finite number of milliseconds >= ${min}`, value, kind);
  }
  return value;
}

/**
 * Validates a pool's `name` option: a non-empty string without control
 * characters, as diagnostics (an OpenTelemetry pool name, a log line) show
 * it; or `undefined` for a pool without a name.
 *
 * @param value - The value given.
 * @returns The name, or `undefined`.
 *
 * @example
 * ```ts
 * import { checkPoolName } from '@clonepool/core';
 *
 * console.log(checkPoolName('sessions'), checkPoolName(undefined));
 * try {
 *   checkPoolName('');
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * // → sessions undefined
 * // → ERR_INVALID_ARG_VALUE
 * ```
 */
export function checkPoolName(value: unknown): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  if (value === undefined || (typeof value === 'string' && value !== '' && !/[\x00-\x1f\x7f]/.test(value))) {
    return value;
  }
  throw new InvalidArgumentError('name', 'a non-empty string without control characters', value, 'option');
}
