// A command's own AbortSignal. Aborting settles the caller's promise at once; the command
// itself stays where it is (its op in the connection's ring, its line on the wire), so its
// reply is still read when it comes and then dropped: the stream never loses its step.
import { type AbortWatcher, unwatchAbort, watchAbort } from '@clonepool/core';
import { OperationAbortedError } from './errors.js';

/**
 * `promise`, or {@link OperationAbortedError} as soon as `signal` aborts, whichever comes
 * first. What `promise` settles with after an abort is dropped (its rejection handled).
 * However many commands share `signal`, it holds one listener (core's `watchAbort`), removed
 * with the last of them. Only commands given a signal come here: one without pays nothing.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const watcher: AbortWatcher = { aborted: (reason) => reject(new OperationAbortedError(reason)) };
    watchAbort(signal, watcher);
    promise.then(
      (value) => {
        unwatchAbort(signal, watcher);
        resolve(value);
      },
      (error: unknown) => {
        unwatchAbort(signal, watcher);
        reject(error);
      },
    );
  });
}
