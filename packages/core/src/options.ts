import { InvalidArgumentError, ReserveAbortedError } from './errors.js';
import type { ReserveOptions } from './pool.js';

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
 * Validates {@link ReserveOptions} at a pool's boundary. Throws
 * {@link InvalidArgumentError} for an unknown option name, a wrong type, a
 * negative or non-finite `timeoutMs`, or `timeoutMs`/`signal` without
 * `block: true` (they would be silently ignored otherwise), and
 * {@link ReserveAbortedError} when `signal` has already aborted, so a pool
 * never lends a client to a caller who gave up.
 *
 * @param options - What the caller passed to `reserve()`.
 * @returns The options with defaults applied.
 *
 * @example
 * ```ts
 * import { parseReserveOptions } from '@clonepool/core';
 *
 * console.log(parseReserveOptions({ block: true, timeoutMs: 50 }).timeoutMs);
 * // → 50
 * try {
 *   parseReserveOptions({ timeout: 50 } as never);
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * // → ERR_INVALID_ARG_VALUE
 * ```
 */
export function parseReserveOptions(options: ReserveOptions | undefined): ParsedReserveOptions {
  if (options === undefined) return NON_BLOCKING;
  checkOptions(options, RESERVE_OPTIONS, 'reserve()');
  const { block = false, timeoutMs, signal } = options;
  if (typeof block !== 'boolean') throw new InvalidArgumentError('block', 'a boolean', block, 'option');
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs))) {
    throw new InvalidArgumentError('timeoutMs', 'a finite number of milliseconds >= 0', timeoutMs, 'option');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal', 'an AbortSignal', signal, 'option');
  }
  if (!block && timeoutMs !== undefined) {
    throw new InvalidArgumentError(
      'timeoutMs',
      'given only with block: true (a non-blocking reserve never waits)',
      timeoutMs,
      'option',
    );
  }
  if (!block && signal !== undefined) {
    throw new InvalidArgumentError(
      'signal',
      'given only with block: true (a non-blocking reserve never waits)',
      'a signal',
      'option',
    );
  }
  if (!block) return NON_BLOCKING;
  if (signal?.aborted) throw new ReserveAbortedError(signal.reason);
  // The common blocking reserve shares one object, keeping the contended path free of allocation.
  if (timeoutMs === undefined && signal === undefined) return BLOCKING;
  return { block, timeoutMs, signal };
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
