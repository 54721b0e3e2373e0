import { InvalidOptionError, ReserveAbortedError } from './errors.js';
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

const NON_BLOCKING: ParsedReserveOptions = { block: false, timeoutMs: undefined, signal: undefined };
const BLOCKING: ParsedReserveOptions = { block: true, timeoutMs: undefined, signal: undefined };

/**
 * Validates {@link ReserveOptions} at a pool's boundary. Throws
 * {@link InvalidOptionError} for a wrong type, a negative or non-finite
 * `timeoutMs`, or `timeoutMs`/`signal` without `block: true` (they would be
 * silently ignored otherwise), and {@link ReserveAbortedError} when `signal`
 * has already aborted, so a pool never lends a client to a caller who gave up.
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
 *   parseReserveOptions({ timeoutMs: -1 });
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * // → ERR_INVALID_OPTION
 * ```
 */
export function parseReserveOptions(options: ReserveOptions | undefined): ParsedReserveOptions {
  if (options === undefined) return NON_BLOCKING;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an object', options);
  }
  const { block = false, timeoutMs, signal } = options;
  if (typeof block !== 'boolean') throw new InvalidOptionError('block', 'a boolean', block);
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs))) {
    throw new InvalidOptionError('timeoutMs', 'a finite number of milliseconds >= 0', timeoutMs);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidOptionError('signal', 'an AbortSignal', signal);
  }
  if (!block && timeoutMs !== undefined) {
    throw new InvalidOptionError(
      'timeoutMs',
      'given only with block: true (a non-blocking reserve never waits)',
      timeoutMs,
    );
  }
  if (!block && signal !== undefined) {
    throw new InvalidOptionError(
      'signal',
      'given only with block: true (a non-blocking reserve never waits)',
      'a signal',
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
export function checkMilliseconds(name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(name, `a finite number of milliseconds >= ${min}`, value);
  }
  return value;
}
