import { checkMilliseconds } from './options.js';

/**
 * The longest delay `setTimeout` and `setInterval` take: 2^31 − 1 ms, about
 * 24.9 days. Node fires a longer delay after 1 ms, with only a
 * `TimeoutOverflowWarning` to say so.
 *
 * @example
 * ```ts
 * import { MAX_TIMER_MS } from '@clonepool/core';
 *
 * console.log(MAX_TIMER_MS, (MAX_TIMER_MS / 86_400_000).toFixed(1));
 * // → 2147483647 24.9
 * ```
 */
export const MAX_TIMER_MS: number = 2 ** 31 - 1;

/**
 * A one-shot timer for a delay of any length: `setTimeout` without its
 * 2^31 − 1 ms limit. A longer delay is waited out in steps of at most
 * {@link MAX_TIMER_MS}, so a 30-day `timeoutMs` fires after 30 days, not after
 * 1 ms. A delay within the limit is one plain `setTimeout`. Like a `Timeout`,
 * it keeps the process alive until it fires unless `unref()`'d.
 *
 * @example
 * ```ts
 * import { LongTimeout } from '@clonepool/core';
 *
 * const thirtyDays = 30 * 24 * 60 * 60 * 1000;
 * const timer = new LongTimeout(() => console.log('30 days later'), thirtyDays);
 * await new Promise((resolve) => setTimeout(resolve, 20));
 * timer.clear();
 * console.log('still waiting after 20 ms, then cleared');
 * // → still waiting after 20 ms, then cleared
 * ```
 */
export class LongTimeout {
  readonly #callback: () => void;
  #timer: NodeJS.Timeout;
  /** What is left of the delay once the step under way fires. */
  #remainingMs: number;
  #refed = true;

  /**
   * Starts the timer.
   *
   * @param callback - Called once, when `delayMs` has passed, unless cleared first.
   * @param delayMs - A finite number of milliseconds >= 0; throws
   *   `InvalidArgumentError` (`ERR_INVALID_ARG_VALUE`) otherwise.
   */
  constructor(callback: () => void, delayMs: number) {
    checkMilliseconds('delayMs', delayMs, 0, 'argument');
    this.#callback = callback;
    const step = Math.min(delayMs, MAX_TIMER_MS);
    // Counting what is left, rather than reading a clock, makes each step wait at least its
    // length on the event loop's clock, as setTimeout does; so the whole never fires early.
    this.#remainingMs = delayMs - step;
    this.#timer = setTimeout(LongTimeout.#onStep, step, this);
  }

  /**
   * Lets the process exit while the timer waits, as `Timeout.unref()` does.
   *
   * @returns The timer.
   */
  unref(): this {
    this.#refed = false;
    this.#timer.unref();
    return this;
  }

  /**
   * Whether the timer keeps the process alive, as `Timeout.hasRef()`.
   *
   * @returns False once `unref()` was called, for every step of a long delay.
   */
  hasRef(): boolean {
    return this.#timer.hasRef();
  }

  /** Cancels the timer. Calling it again, or after the timer fired, does nothing. */
  clear(): void {
    clearTimeout(this.#timer);
  }

  static #onStep(self: LongTimeout): void {
    if (self.#remainingMs === 0) {
      self.#callback();
      return;
    }
    const step = Math.min(self.#remainingMs, MAX_TIMER_MS);
    self.#remainingMs -= step;
    self.#timer = setTimeout(LongTimeout.#onStep, step, self);
    if (!self.#refed) self.#timer.unref();
  }
}
