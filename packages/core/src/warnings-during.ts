/**
 * Runs `fn` and resolves the names of the process warnings emitted meanwhile
 * (`TimeoutOverflowWarning`, `MaxListenersExceededWarning`, …), so a test can
 * assert that a pool or client emitted none. Node emits a warning on a later
 * tick, so it waits one more turn of the event loop after `fn` settles. A
 * rejection of `fn` rejects the returned promise.
 *
 * @param fn - The code to watch.
 *
 * @example
 * ```ts
 * import { warningsDuring } from '@clonepool/core/testing';
 *
 * const names = await warningsDuring(async () => {
 *   const timer = setTimeout(() => {}, 2 ** 31); // longer than setTimeout can take
 *   clearTimeout(timer);
 * });
 * console.log(names.join());
 * // → TimeoutOverflowWarning
 * ```
 */
export async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const names: string[] = [];
  const onWarning = (warning: Error): void => {
    names.push(warning.name);
  };
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return names;
}
