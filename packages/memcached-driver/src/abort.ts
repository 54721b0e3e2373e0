// A command's own AbortSignal. Aborting settles the caller's promise at once; the command
// itself stays where it is (its op in the connection's ring, its line on the wire), so its
// reply is still read when it comes and then dropped: the stream never loses its step.
import { OperationAbortedError } from './errors.js';

/** Something waiting on a signal: gives up with `error` when the signal aborts. */
export interface AbortWaiter {
  abort(error: Error): void;
}

/**
 * The waiters of each signal in use, and the one `abort` listener per signal that aborts
 * them all. A request's signal passed to every command it makes would otherwise collect a
 * listener per command in flight, and past ten Node warns of a leak
 * (`MaxListenersExceededWarning`). A signal is here only while something waits on it.
 */
const watches = new Map<AbortSignal, { readonly waiters: Set<AbortWaiter>; readonly onAbort: () => void }>();

/** Makes `waiter` give up when `signal` aborts, until {@link unwatch}. `signal` has not aborted yet. */
export function watch(signal: AbortSignal, waiter: AbortWaiter): void {
  let watch = watches.get(signal);
  if (watch === undefined) {
    const waiters = new Set<AbortWaiter>();
    const onAbort = (): void => {
      watches.delete(signal);
      // Oldest first; each gets its own error, so no two callers share a stack.
      for (const aborted of waiters) aborted.abort(new OperationAbortedError(signal.reason));
      waiters.clear();
    };
    watch = { waiters, onAbort };
    watches.set(signal, watch);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  watch.waiters.add(waiter);
}

/** Stops watching `signal` for `waiter`; the last waiter of a signal removes its listener. */
export function unwatch(signal: AbortSignal, waiter: AbortWaiter): void {
  const watch = watches.get(signal);
  if (watch === undefined || !watch.waiters.delete(waiter) || watch.waiters.size > 0) return;
  signal.removeEventListener('abort', watch.onAbort);
  watches.delete(signal);
}

/**
 * `promise`, or {@link OperationAbortedError} as soon as `signal` aborts, whichever comes
 * first. What `promise` settles with after an abort is dropped (its rejection handled).
 * Only commands given a signal come here: a command without one pays nothing.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const waiter: AbortWaiter = { abort: reject };
    watch(signal, waiter);
    promise.then(
      (value) => {
        unwatch(signal, waiter);
        resolve(value);
      },
      (error: unknown) => {
        unwatch(signal, waiter);
        reject(error);
      },
    );
  });
}
