/**
 * What {@link watchAbort} calls when its signal aborts: a waiting call that
 * then settles, and stops watching.
 *
 * @example
 * ```ts
 * import { type AbortWatcher, unwatchAbort, watchAbort } from '@clonepool/core';
 *
 * const shutdown = new AbortController();
 * const calls: AbortWatcher[] = [1, 2, 3].map((n) => ({ aborted: (reason) => console.log(n, reason) }));
 * for (const call of calls) watchAbort(shutdown.signal, call);
 * unwatchAbort(shutdown.signal, calls[1]!);
 * shutdown.abort('closing');
 * // → 1 closing
 * // → 3 closing
 * ```
 */
export interface AbortWatcher {
  /** Called once, with the signal's reason, if the signal aborts while watched. */
  aborted(reason: unknown): void;
}

/** The watchers of one signal, and the one listener they share. */
interface Watch {
  readonly watchers: Set<AbortWatcher>;
  readonly onAbort: () => void;
}

/**
 * The watchers of each signal, behind one `abort` listener per signal: a signal shared by
 * many calls (a server's shutdown signal, a request's) holds one listener however many
 * calls wait on it, so it never warns `MaxListenersExceededWarning` (raising the signal's
 * limit instead would silence the warning for every listener on it, hiding a real leak),
 * and holds none once the last of them settles. No `AbortSignal.any`, which on Node 20
 * leaves a reference on a long-lived signal per call. Keyed weakly: a signal nobody else
 * holds can be collected.
 */
const watches = new WeakMap<AbortSignal, Watch>();

/**
 * Calls `watcher.aborted(reason)` if `signal` aborts before {@link unwatchAbort};
 * watchers of one signal are called oldest first. See {@link AbortWatcher} for an example.
 *
 * @param signal - The caller's signal, not yet aborted.
 * @param watcher - What to call; the same object is given to {@link unwatchAbort}.
 */
export function watchAbort(signal: AbortSignal, watcher: AbortWatcher): void {
  let watch = watches.get(signal);
  if (watch === undefined) {
    const watchers = new Set<AbortWatcher>();
    const onAbort = (): void => {
      watches.delete(signal);
      // Oldest first. A copy: a watcher that settles here unwatches itself.
      for (const aborted of [...watchers]) aborted.aborted(signal.reason);
    };
    watch = { watchers, onAbort };
    watches.set(signal, watch);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  watch.watchers.add(watcher);
}

/**
 * Stops watching; the signal's listener goes with its last watcher. Harmless for a
 * watcher that is not watching.
 *
 * @param signal - The signal given to {@link watchAbort}.
 * @param watcher - The watcher given to {@link watchAbort}.
 */
export function unwatchAbort(signal: AbortSignal, watcher: AbortWatcher): void {
  const watch = watches.get(signal);
  if (watch === undefined || !watch.watchers.delete(watcher) || watch.watchers.size > 0) return;
  watches.delete(signal);
  signal.removeEventListener('abort', watch.onAbort);
}
