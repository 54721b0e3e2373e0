/**
 * Whether `value` is a promise or another thenable (an object or function
 * with a `then` method), as `await` decides it. Pools use it to treat a
 * synchronous `clone()` or handler result without a turn of the microtask
 * queue.
 *
 * @param value - A value that may be a promise.
 *
 * @example
 * ```ts
 * import { isPromiseLike } from '@clonepool/core';
 *
 * console.log(isPromiseLike(Promise.resolve(1)), isPromiseLike({ then: () => {} }), isPromiseLike(1));
 * // → true true false
 * ```
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
