/** What a watch calls when its signal aborts. */
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
 * calls wait on it, so it never warns `MaxListenersExceededWarning`, and holds none once
 * the last of them settles. Keyed weakly: a signal nobody else holds can be collected.
 */
const watches = new WeakMap<AbortSignal, Watch>();

/** Calls `watcher.aborted(reason)` if `signal` aborts before {@link unwatchAbort}. */
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

/** Stops watching; the signal's listener goes with its last watcher. */
export function unwatchAbort(signal: AbortSignal, watcher: AbortWatcher): void {
  const watch = watches.get(signal);
  if (watch === undefined || !watch.watchers.delete(watcher) || watch.watchers.size > 0) return;
  watches.delete(signal);
  signal.removeEventListener('abort', watch.onAbort);
}
