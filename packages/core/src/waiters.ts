import { type AbortWatcher, unwatchAbort, watchAbort } from './abort-watch.js';
import { PoolClosedError, ReserveAbortedError, ReserveTimeoutError } from './errors.js';
import { LongTimeout } from './long-timeout.js';
import type { ParsedReserveOptions } from './options.js';

interface Waiter<T> {
  /** Gives up with {@link ReserveAbortedError}: set only on a waiter with a signal. */
  watcher: AbortWatcher | undefined;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  timer: LongTimeout | undefined;
  signal: AbortSignal | undefined;
  group: object | undefined;
  prev: Waiter<T> | undefined;
  next: Waiter<T> | undefined;
}

/**
 * Where a waiter stands in a {@link WaitQueue}, beyond the caller's reserve
 * options: which group it belongs to, and whether it jumps the queue.
 *
 * @example
 * ```ts
 * import { WaitQueue, type WaiterOptions } from '@clonepool/core';
 *
 * // Both reserves of one request wait as one group; once the request has a client, neither needs a slot.
 * const request = {};
 * const options: WaiterOptions = { group: request };
 * const queue = new WaitQueue<string>();
 * const reserve = { block: true, timeoutMs: undefined, signal: undefined } as const;
 * const waiting = [queue.wait(reserve, options), queue.wait(reserve, options)];
 * console.log(queue.rejectGroup(request, new Error('mapped')), queue.size);
 * // → 2 0
 * for (const outcome of await Promise.allSettled(waiting)) console.log(outcome.status);
 * // → rejected
 * // → rejected
 * ```
 */
export interface WaiterOptions {
  /**
   * Any object the pool groups waiters by, such as the context they reserve
   * for: `rejectGroup(group, error)` then takes every waiter of the group out
   * of the queue at once. The queue holds the group only while some of its
   * waiters wait. It is a pool's own cancellation, next to the caller's
   * `signal`, with no `AbortSignal.any` (which on Node 20 leaves a reference
   * on a long-lived signal for every call).
   */
  readonly group?: object | undefined;
  /**
   * Queue at the head, ahead of every waiter already waiting: for a reserve
   * that was owed a client before they came, such as one whose idle client
   * failed a health check while they queued.
   * @default false (queue at the tail, in arrival order)
   */
  readonly first?: boolean | undefined;
}

/**
 * The blocking reserves of a pool, served strictly in arrival order.
 *
 * ```
 *  head (oldest)                              tail (newest)
 *    [w1] <-> [w2] <-> [w3] <-> ... <-> [wn]
 *  serve() takes from the head; wait() appends at the tail (or, with
 *  `first`, at the head); a timeout or abort unlinks its waiter from anywhere in O(1).
 * ```
 *
 * A waiter leaves the list exactly once: served, timed out, aborted, or
 * rejected by `rejectNext`, `rejectGroup` or `rejectAll`, whichever comes first. Because a timed-out or
 * aborted waiter is unlinked before its promise rejects, `serve()` can only
 * hand a value to a waiter that is still waiting, so a client released at the
 * moment a waiter gives up goes to the next one and is never lost.
 *
 * @typeParam T - What a waiter receives, usually a lease.
 *
 * @example
 * ```ts
 * import { WaitQueue } from '@clonepool/core';
 *
 * const queue = new WaitQueue<string>();
 * const first = queue.wait({ block: true, timeoutMs: undefined, signal: undefined });
 * const second = queue.wait({ block: true, timeoutMs: undefined, signal: undefined });
 * queue.serve('a');
 * queue.serve('b');
 * console.log(await first, await second, queue.size);
 * // → a b 0
 * ```
 */
export class WaitQueue<T> {
  #head: Waiter<T> | undefined;
  #tail: Waiter<T> | undefined;
  #size = 0;
  /** The waiters of each group with some waiting, in arrival order. */
  readonly #groups = new Map<object, Set<Waiter<T>>>();

  /** Waiters still waiting. */
  get size(): number {
    return this.#size;
  }

  /**
   * Queues a waiter that settles when served, when `timeoutMs` passes
   * ({@link ReserveTimeoutError}), or when `signal` aborts ({@link ReserveAbortedError}).
   *
   * @param options - Validated reserve options. An already aborted `signal` rejects at once.
   * @param waiterOptions - The group the waiter belongs to, and whether it goes first.
   * @returns What `serve()` hands this waiter.
   */
  wait(options: ParsedReserveOptions, waiterOptions?: WaiterOptions): Promise<T> {
    const { timeoutMs, signal } = options;
    const group = waiterOptions?.group;
    if (signal?.aborted) return Promise.reject(new ReserveAbortedError(signal.reason));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        watcher: undefined,
        resolve,
        reject,
        timer: undefined,
        signal,
        group,
        prev: undefined,
        next: undefined,
      };
      if (waiterOptions?.first === true) this.#linkFirst(waiter);
      else this.#linkLast(waiter);
      this.#size++;
      if (timeoutMs !== undefined) {
        // Kept ref'd on purpose: the caller awaits this reserve, so the process must live until it settles
        // (at most timeoutMs); an unref'd timer would let it exit with the reserve never settled.
        // A LongTimeout, because a reserve may well wait days: setTimeout would fire those after 1 ms.
        waiter.timer = new LongTimeout(() => this.#giveUp(waiter, new ReserveTimeoutError(timeoutMs)), timeoutMs);
      }
      if (signal !== undefined) {
        // One abort listener per signal, however many waiters (of any queue) share it.
        waiter.watcher = { aborted: (reason) => this.#giveUp(waiter, new ReserveAbortedError(reason)) };
        watchAbort(signal, waiter.watcher);
      }
      if (group !== undefined) {
        let members = this.#groups.get(group);
        if (members === undefined) {
          members = new Set();
          this.#groups.set(group, members);
        }
        members.add(waiter);
      }
    });
  }

  /**
   * Hands `value` to the oldest waiter.
   *
   * @param value - What the waiter receives.
   * @returns False when nobody was waiting; the caller keeps `value`.
   */
  serve(value: T): boolean {
    const waiter = this.#head;
    if (waiter === undefined) return false;
    this.#unlink(waiter);
    waiter.resolve(value);
    return true;
  }

  /**
   * Rejects the oldest waiter: the one a failed attempt to get a client (a
   * clone that rejected) was for.
   *
   * @param error - The rejection.
   * @returns False when nobody was waiting.
   */
  rejectNext(error: unknown): boolean {
    const waiter = this.#head;
    if (waiter === undefined) return false;
    this.#unlink(waiter);
    waiter.reject(error);
    return true;
  }

  /**
   * Rejects every waiter of `group`, oldest first, wherever they stand in the queue.
   *
   * @param group - The group given to `wait()`.
   * @param error - The rejection.
   * @returns How many waiters were rejected.
   */
  rejectGroup(group: object, error: unknown): number {
    const members = this.#groups.get(group);
    if (members === undefined) return 0;
    let rejected = 0;
    // Each unlink takes its waiter out of the set, which a Set's iteration allows.
    for (const waiter of members) {
      this.#unlink(waiter);
      waiter.reject(error);
      rejected++;
    }
    return rejected;
  }

  /**
   * Rejects every waiter, oldest first.
   *
   * @param error - The rejection; a {@link PoolClosedError} when left out.
   */
  rejectAll(error: unknown = new PoolClosedError()): void {
    for (let waiter = this.#head; waiter !== undefined; waiter = this.#head) {
      this.#unlink(waiter);
      waiter.reject(error);
    }
  }

  #giveUp(waiter: Waiter<T>, error: Error): void {
    this.#unlink(waiter);
    waiter.reject(error);
  }

  #linkLast(waiter: Waiter<T>): void {
    waiter.prev = this.#tail;
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
  }

  #linkFirst(waiter: Waiter<T>): void {
    waiter.next = this.#head;
    if (this.#head === undefined) this.#tail = waiter;
    else this.#head.prev = waiter;
    this.#head = waiter;
  }

  #unlink(waiter: Waiter<T>): void {
    waiter.timer?.clear();
    if (waiter.signal !== undefined) unwatchAbort(waiter.signal, waiter.watcher!);
    if (waiter.group !== undefined) {
      const members = this.#groups.get(waiter.group);
      members?.delete(waiter);
      if (members?.size === 0) this.#groups.delete(waiter.group);
    }
    if (waiter.prev === undefined) this.#head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.#tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.#size--;
  }
}
