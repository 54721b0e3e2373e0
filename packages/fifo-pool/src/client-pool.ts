import {
  type Clonable,
  checkClonable,
  closeClient,
  InvalidArgumentError,
  isPromiseLike,
  Lease,
  type LeaseOwner,
  LongTimeout,
  type ParsedReserveOptions,
  type Pool,
  PoolChannels,
  PoolClosedError,
  PoolExhaustedError,
  parseReserveOptions,
  ReserveAbortedError,
  type ReserveOptions,
  ReserveTimeoutError,
  useClient,
  type WaiterOptions,
  WaitQueue,
} from '@clonepool/core';
import { channelNames, type LeakMessage, leakChannel } from './diagnostics.js';
import { captureReserveSite, LeaseLeakWarning } from './leak-warning.js';
import {
  type ClientPoolOptions,
  type CloseOptions,
  checkSlots,
  parseCloseOptions,
  parsePoolOptions,
} from './options.js';
import { RingBuffer } from './ring-buffer.js';
import type { ClientPoolStats } from './stats.js';

/** Queues a reserve ahead of every waiter. */
const FIRST: WaiterOptions = { first: true };

/** What `#cloneSlot` reports for a clone that landed (anything else is the clone's error). */
const CLONED: unique symbol = Symbol('cloned');

const noop = (): void => {};

/**
 * A pool of clones of one master client, lent first-in first-out: pylibmc's
 * `ClientPool` for Node. `reserve()` lends the client at the head of the idle
 * queue and a released client goes to the tail, so load rotates over every
 * client; blocking reserves wait in strict arrival order.
 *
 * A client's life in the pool:
 *
 * ```
 *   clone() ──► idle (FIFO) ──reserve()──► lent ──release()──► waiter? ─yes─► lent again
 *                  ▲                         │                   │no
 *                  └─────────────────────────┼───────────────────┘
 *                                            └──discard()──► closed, a fresh clone takes the slot
 * ```
 *
 * A pool made with a master and a count starts cloning at once. A clone that
 * returns synchronously is in the pool before the constructor returns; while
 * async clones are still being made, a reserve (blocking or not) waits for the
 * clone it would get rather than failing, so `new ClientPool(mc, 4)` followed
 * by `reserve()` just works. A non-blocking reserve rejects with
 * `ERR_POOL_EXHAUSTED` only when no idle client is left and no clone is on
 * its way that an earlier waiter is not already owed.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import { ClientPool } from '@clonepool/fifo-pool';
 * import { TestClient } from '@clonepool/core/testing';
 *
 * const pool = new ClientPool(new TestClient(), 2);
 * const order: number[] = [];
 * for (let i = 0; i < 4; i++) order.push(await pool.use((client) => client.ping()));
 * console.log(order.join(' '));
 * await pool.close();
 * // → 1 2 1 2
 * ```
 */
export class ClientPool<C> implements Pool<C, ClientPoolStats> {
  /**
   * What every lease of this pool reports to when it ends. A private object
   * rather than the pool itself, so that settling a lease is not a public
   * method anyone could call with a client they were never lent.
   */
  readonly #owner: LeaseOwner<C> = {
    settle: (client, discarded, reason, lease) => this.#settle(client, discarded, reason, lease),
  };
  /** Publishes on the package's diagnostics channels; a no-op read per event while nobody listens. */
  readonly #channels: PoolChannels<C> = new PoolChannels<C>(this, channelNames);
  /** Every client the pool holds, idle or lent, with the master its replacement is cloned from. */
  readonly #clients = new Map<C, Clonable<C>>();
  readonly #idle = new RingBuffer<C>();
  readonly #waiters = new WaitQueue<Lease<C>>();
  /** Masters of slots whose clone failed; retried when a waiter needs the slot. */
  readonly #missing: Clonable<C>[] = [];
  readonly #validate: ((client: C) => boolean | PromiseLike<boolean>) | undefined;
  /** The reserve options of a call that gives none, and what a call's options override. */
  readonly #defaults: ParsedReserveOptions;
  readonly #name: string | undefined;
  readonly #leakDetectionMs: number | undefined;
  /** Leak timers of the leases out, only when leak detection is on. */
  readonly #leaks: Map<Lease<C>, LongTimeout> | undefined;
  /** Client closes in flight, so close() resolves only once every client is closed. */
  readonly #closeTasks = new Set<Promise<void>>();
  readonly #closeErrors: unknown[] = [];
  #cloning = 0;
  #reserved = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #refilling = false;
  #reserves = 0;
  #waits = 0;
  #timeouts = 0;
  #aborts = 0;
  #discards = 0;
  #cloneFailures = 0;
  #maxWaiting = 0;

  /**
   * Makes a pool; with `master` and `nSlots`, starts filling it with `nSlots`
   * clones of `master` at once (as `fill()` does). Throws
   * {@link InvalidArgumentError} (`ERR_INVALID_ARG_VALUE`) for invalid arguments or unknown options.
   *
   * @param master - The client to clone. Its own connection is never lent, and never closed by the pool.
   * @param nSlots - How many clones to keep; required with `master`.
   * @param options - Validation, leak detection, and the defaults of every reserve.
   */
  constructor(master?: Clonable<C>, nSlots?: number, options?: ClientPoolOptions<C>) {
    const parsed = parsePoolOptions(options);
    this.#validate = parsed.validate;
    this.#leakDetectionMs = parsed.leakDetectionMs;
    this.#leaks = parsed.leakDetectionMs === undefined ? undefined : new Map();
    this.#defaults = parsed.reserve;
    this.#name = parsed.name;
    if (master === undefined && nSlots === undefined) return;
    if (master === undefined) throw new InvalidArgumentError('master', 'given when nSlots is', master);
    checkClonable(master);
    if (nSlots === undefined) {
      throw new InvalidArgumentError('nSlots', 'given with master (how many clones to fill the pool with)', nSlots);
    }
    checkSlots(nSlots);
    // Nobody can await this fill; a clone that fails reaches the reserves that wait for it.
    this.#fill(master, nSlots).catch(noop);
  }

  /** Whether `close()` has been called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** The pool's `name` option: what diagnostics call it. */
  get name(): string | undefined {
    return this.#name;
  }

  /**
   * Puts `nSlots` more clones of `master` in the pool, made concurrently, as
   * pylibmc's `pool.fill(mc, n_slots)`. Each clone joins the idle queue the
   * moment it is made, so reserves need not wait for the whole fill.
   *
   * @param master - The client to clone; `clone()` may return a promise.
   * @param nSlots - How many clones to add.
   * @returns Resolves once every clone is in. Rejects with the first clone's
   *   error (the pool keeps the others, and retries the failed slots when a
   *   reserve needs them), or `ERR_POOL_CLOSED` when the pool was closed first.
   *
   * @example
   * ```ts
   * import { ClientPool } from '@clonepool/fifo-pool';
   * import { TestClient } from '@clonepool/core/testing';
   *
   * const pool = new ClientPool<TestClient>();
   * await pool.fill(new TestClient({ cloneDelayMs: 5 }), 4);
   * console.log(pool.stats().available);
   * await pool.close();
   * // → 4
   * ```
   */
  fill(master: Clonable<C>, nSlots: number): Promise<void> {
    try {
      checkClonable(master);
      checkSlots(nSlots);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(new PoolClosedError());
    return this.#fill(master, nSlots);
  }

  /**
   * Lends the client at the head of the idle queue, as pylibmc's `reserve()`.
   * Release the lease in a `finally` (or `await using` it on Node 24+) to give the client back.
   *
   * - Non-blocking (pylibmc's default, and this pool's unless its `reserve`
   *   option says otherwise): rejects at once with `ERR_POOL_EXHAUSTED` when
   *   every client is out.
   * - `block: true`: waits, in arrival order; `timeoutMs` rejects with
   *   `ERR_RESERVE_TIMEOUT`, an aborted `signal` with `ERR_RESERVE_ABORTED`.
   *
   * Options left out come from the pool's `reserve` option.
   *
   * Rejects with `ERR_POOL_CLOSED` once the pool is closed, and with
   * `ERR_INVALID_ARG_VALUE` for invalid options or unknown option names.
   *
   * @param options - Blocking, timeout and abort.
   * @returns A lease on one client.
   *
   * @example
   * ```ts
   * import { ClientPool } from '@clonepool/fifo-pool';
   * import { TestClient } from '@clonepool/core/testing';
   *
   * const pool = new ClientPool(new TestClient(), 1);
   * const lease = await pool.reserve();
   * try {
   *   await pool.reserve();
   * } catch (error) {
   *   console.log((error as { code: string }).code);
   * }
   * const waiting = pool.reserve({ block: true, timeoutMs: 1_000 });
   * lease.release();
   * const next = await waiting;
   * console.log(next.client.id);
   * next.release();
   * await pool.close();
   * // → ERR_POOL_EXHAUSTED
   * // → 1
   * ```
   */
  reserve(options?: ReserveOptions): Promise<Lease<C>> {
    // Observed only while someone listens: otherwise the promise goes back as it is, with nothing measured.
    if (this.#channels.observesReserves)
      return this.#channels.observeReserve(performance.now(), this.#reserve(options));
    return this.#reserve(options);
  }

  #reserve(options: ReserveOptions | undefined): Promise<Lease<C>> {
    let parsed: ParsedReserveOptions;
    try {
      parsed = parseReserveOptions(options, this.#defaults);
    } catch (error) {
      if (error instanceof ReserveAbortedError) this.#aborts++;
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(new PoolClosedError());
    if (this.#leaks !== undefined) return this.#reserveWatched(parsed, captureReserveSite(this.reserve));
    return this.#acquire(parsed);
  }

  /**
   * Runs `fn` with a reserved client and always gives it back, also when `fn`
   * throws: pylibmc's `with pool.reserve() as mc:`.
   *
   * @param fn - Runs with the client.
   * @param options - How to reserve, as for `reserve()`.
   * @returns What `fn` returns.
   *
   * @example
   * ```ts
   * import { ClientPool } from '@clonepool/fifo-pool';
   * import { TestClient } from '@clonepool/core/testing';
   *
   * const pool = new ClientPool(new TestClient(), 2);
   * console.log(await pool.use((client) => client.ping(), { block: true, timeoutMs: 100 }));
   * await pool.close();
   * // → 1
   * ```
   */
  use<T>(fn: (client: C) => T | PromiseLike<T>, options?: ReserveOptions): Promise<T> {
    return useClient(this, fn, options);
  }

  /** Takes a lent client back when its lease ends; a discarded one is closed and its slot cloned again. */
  #settle(client: C, discarded: boolean, reason: unknown, lease: Lease<C>): void {
    if (this.#leaks !== undefined) this.#unwatch(lease);
    this.#channels.released(lease, client, discarded);
    if (this.#closed) {
      this.#settleClosed(client, discarded);
      return;
    }
    this.#reserved--;
    if (discarded) {
      this.#discardClient(client, reason);
      return;
    }
    // Race: a waiter whose timeout fired or whose signal aborted in this same
    // tick was unlinked by the WaitQueue before its promise rejected, so the
    // client goes to the next waiter still waiting, or to the idle tail; it is
    // never handed to a waiter that gave up, and never lost.
    this.#handOut(client);
  }

  /**
   * Closes the pool: rejects every waiter with `ERR_POOL_CLOSED` at once,
   * closes idle clients, waits for leases still out and closes each client as
   * it comes back, then resolves once every client the pool held is closed,
   * exactly once, and every clone that was still being made has landed and
   * been closed too. With `graceMs`, clients still lent after that long are
   * closed anyway (their leases' later `release()` does nothing); clones in
   * flight are still waited for. Reserves and
   * fills after `close()` reject with `ERR_POOL_CLOSED`. Idempotent: later
   * calls return the first call's promise (and its `graceMs`). Rejects with an
   * `AggregateError` when closing some clients failed; the rest are closed all the same.
   *
   * @param options - `graceMs`, how long to wait for leases still out.
   *
   * @example
   * ```ts
   * import { ClientPool } from '@clonepool/fifo-pool';
   * import { TestClient } from '@clonepool/core/testing';
   *
   * const master = new TestClient();
   * const pool = new ClientPool(master, 2);
   * const forgotten = await pool.reserve();
   * await pool.close({ graceMs: 20 });
   * console.log(master.clones.map((clone) => clone.closeCount).join(' '), forgotten.released);
   * // → 1 1 false
   * ```
   */
  close(options?: CloseOptions): Promise<void> {
    let graceMs: number | undefined;
    try {
      graceMs = parseCloseOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  /** Closes the pool at the end of an `await using` block, as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The pool's counters now. At every moment `available + reserved === size`.
   *
   * @example
   * ```ts
   * import { ClientPool } from '@clonepool/fifo-pool';
   * import { TestClient } from '@clonepool/core/testing';
   *
   * const pool = new ClientPool(new TestClient(), 3);
   * const lease = await pool.reserve();
   * const { size, available, reserved, reserves } = pool.stats();
   * console.log(size, available, reserved, reserves);
   * lease.release();
   * await pool.close();
   * // → 3 2 1 1
   * ```
   */
  stats(): ClientPoolStats {
    return {
      size: this.#clients.size,
      slots: this.#slotCount(),
      available: this.#idle.length,
      reserved: this.#reserved,
      waiting: this.#waiters.size,
      maxWaiting: this.#maxWaiting,
      reserves: this.#reserves,
      waits: this.#waits,
      timeouts: this.#timeouts,
      aborts: this.#aborts,
      discards: this.#discards,
      cloneFailures: this.#cloneFailures,
    };
  }

  #slotCount(): number {
    return this.#clients.size + this.#cloning + this.#missing.length;
  }

  // ---- lending ----

  /** The hot path: an idle client becomes one lease and the promise that carries it; nothing else is allocated. */
  #acquire(parsed: ParsedReserveOptions): Promise<Lease<C>> {
    if (this.#idle.length > 0) {
      const client = this.#idle.shift();
      if (this.#validate !== undefined) return this.#lendChecked(client, parsed);
      return Promise.resolve(this.#lend(client));
    }
    return this.#wait(parsed);
  }

  #wait(parsed: ParsedReserveOptions): Promise<Lease<C>> {
    // Clones on their way are owed to the waiters in arrival order. A
    // non-blocking reserve may wait only for one no earlier waiter is owed
    // (during a fill, or for a slot to be refilled); otherwise every client
    // is really out.
    if (!parsed.block && this.#cloning + this.#missing.length <= this.#waiters.size) {
      return Promise.reject(new PoolExhaustedError(this.#slotCount()));
    }
    return this.#enqueue(parsed, undefined);
  }

  #enqueue(parsed: ParsedReserveOptions, placement: WaiterOptions | undefined): Promise<Lease<C>> {
    this.#waits++;
    const waiting = this.#waiters.wait(parsed, placement);
    if (this.#waiters.size > this.#maxWaiting) this.#maxWaiting = this.#waiters.size;
    if (this.#missing.length > 0) this.#refill();
    // Only a waiter with a timeout or a signal can give up; count how on a
    // side branch. Returning `waiting` itself, not a derived promise, keeps
    // every waiter's continuation in the order the waiters were served.
    if (parsed.timeoutMs !== undefined || parsed.signal !== undefined) waiting.catch(this.#countGiveUp);
    return waiting;
  }

  readonly #countGiveUp = (error: unknown): void => {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === ReserveTimeoutError.code) this.#timeouts++;
    else if (code === ReserveAbortedError.code) this.#aborts++;
  };

  /** Checks an idle client with `validate` before lending it; a bad one is replaced and the next tried. */
  async #lendChecked(client: C, parsed: ParsedReserveOptions): Promise<Lease<C>> {
    // While the check runs the client is neither idle nor with a user; count
    // it as reserved so available + reserved = size holds and close() waits for it.
    this.#reserved++;
    let healthy: boolean;
    try {
      healthy = (await this.#validate?.(client)) === true;
    } catch {
      healthy = false;
    }
    // Race: close() with a grace period may have closed it during the check
    // (and zeroed the reserved count); it is no longer ours.
    if (!this.#clients.has(client)) throw new PoolClosedError();
    this.#reserved--;
    if (this.#closed) {
      this.#retire(client, true);
      this.#checkDrained();
      throw new PoolClosedError();
    }
    if (healthy) return this.#lend(client);
    const rejected = new Error('validate() rejected the idle client');
    if (this.#idle.length > 0) {
      // Another idle client is ready (so nobody waits): try it; the replacement joins the pool as any clone does.
      this.#discardClient(client, rejected);
      return this.#acquire(parsed);
    }
    // Race: validate rejects while later reserves queued behind this one.
    // This reserve found a client first, so the replacement is its own: it
    // waits at the head of the queue (a non-blocking one too, as during a
    // fill), and the replacement, or its clone error, reaches it before any
    // waiter that came later.
    const waiting = this.#enqueue(parsed, FIRST);
    this.#discardClient(client, rejected);
    return waiting;
  }

  #lend(client: C): Lease<C> {
    this.#reserved++;
    this.#reserves++;
    return new Lease(client, this.#owner);
  }

  /** Gives a client that became free (released or newly cloned) to the oldest waiter, else to the idle tail. */
  #handOut(client: C): void {
    if (this.#waiters.size > 0) this.#waiters.serve(this.#lend(client));
    else this.#idle.push(client);
  }

  // ---- slots: cloning, discarding, refilling ----

  #fill(master: Clonable<C>, nSlots: number): Promise<void> {
    const results: unknown[] = [];
    for (let i = 0; i < nSlots; i++) results.push(this.#cloneSlot(master));
    return Promise.all(results).then((outcomes) => {
      const failure = outcomes.find((outcome) => outcome !== CLONED);
      if (failure !== undefined) throw failure;
      // Race: close during fill. The clones that landed after close() were closed at once.
      if (this.#closed) throw new PoolClosedError();
    });
  }

  /**
   * Makes one clone for a slot and hands it out. Returns `CLONED` or the
   * clone's error, at once for a synchronous `clone()`, else as a promise
   * that never rejects (callers that do not care need no handler).
   */
  #cloneSlot(master: Clonable<C>): unknown {
    const start = this.#channels.cloneStarted();
    let made: C | PromiseLike<C>;
    try {
      made = master.clone();
    } catch (error) {
      this.#cloneFailed(master, error, start);
      return error;
    }
    if (!isPromiseLike(made)) {
      this.#cloned(master, made, start);
      return CLONED;
    }
    this.#cloning++;
    return Promise.resolve(made).then(
      (client) => {
        this.#cloning--;
        this.#cloned(master, client, start);
        return CLONED;
      },
      (error: unknown) => {
        this.#cloning--;
        this.#cloneFailed(master, error, start);
        return error;
      },
    );
  }

  #cloned(master: Clonable<C>, client: C, start: number | undefined): void {
    this.#channels.cloned(client, start);
    if (this.#closed) {
      // Race: close during fill (or during a replacement). The pool will never lend it.
      this.#retire(client, true);
      this.#checkDrained();
      return;
    }
    this.#clients.set(client, master);
    this.#handOut(client);
  }

  #cloneFailed(master: Clonable<C>, error: unknown, start: number | undefined): void {
    this.#cloneFailures++;
    this.#channels.cloneFailed(error, start);
    if (this.#closed) {
      this.#checkDrained();
      return;
    }
    this.#missing.push(master);
    // Race: clone failure with waiters. Clones still on their way cover the
    // oldest waiters; when they do not cover all, the oldest waiter is failed
    // with the clone's error rather than left hanging (generic-pool #183), and
    // the slot is retried for the next uncovered waiter, if any. Each retry
    // that fails settles one more waiter, so a dead server cannot loop.
    if (this.#waiters.size > this.#cloning) this.#waiters.rejectNext(error);
    this.#refill();
  }

  /** Re-clones missing slots while waiters outnumber the clones on their way. */
  #refill(): void {
    // A synchronous clone re-enters here through #cloneFailed; the outer loop carries on instead.
    if (this.#refilling) return;
    this.#refilling = true;
    try {
      while (!this.#closed && this.#missing.length > 0 && this.#cloning < this.#waiters.size) {
        this.#cloneSlot(this.#missing.pop() as Clonable<C>);
      }
    } finally {
      this.#refilling = false;
    }
  }

  /** Closes a broken client and clones a replacement for its slot. */
  #discardClient(client: C, reason: unknown): void {
    this.#discards++;
    this.#channels.discarded(client, reason);
    const master = this.#clients.get(client) as Clonable<C>;
    // A broken client may fail to close too; that error says nothing new.
    this.#retire(client, false);
    // Race: discard while waiters wait. The replacement goes to the oldest
    // waiter when it lands (through #handOut), or fails it (#cloneFailed).
    this.#cloneSlot(master);
  }

  /** Forgets a client and closes it, tracked so close() can wait for it. */
  #retire(client: C, reportErrors: boolean): void {
    this.#clients.delete(client);
    const task: Promise<void> = closeClient(client).then(noop, (error: unknown) => {
      this.#channels.closeFailed(client, error);
      if (reportErrors) this.#closeErrors.push(error);
    });
    this.#closeTasks.add(task);
    task.then(() => this.#closeTasks.delete(task));
  }

  // ---- closing ----

  async #shutdown(graceMs: number | undefined): Promise<void> {
    this.#closed = true;
    this.#waiters.rejectAll(new PoolClosedError());
    while (this.#idle.length > 0) this.#retire(this.#idle.shift(), true);
    this.#missing.length = 0;
    if (this.#reserved > 0 || this.#cloning > 0) {
      let grace: LongTimeout | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        // Not unref()'d: the caller is awaiting close(), and an unref'd timer
        // would let the process exit with close() unsettled. It is bounded by
        // graceMs (of any length: a LongTimeout) and cleared as soon as the last lease comes back.
        if (graceMs !== undefined) grace = new LongTimeout(() => this.#forceClose(), graceMs);
      });
      grace?.clear();
      this.#drained = undefined;
    }
    while (this.#closeTasks.size > 0) await Promise.all(this.#closeTasks);
    if (this.#leaks !== undefined) {
      for (const timer of this.#leaks.values()) timer.clear();
      this.#leaks.clear();
    }
    if (this.#closeErrors.length > 0) {
      throw new AggregateError(this.#closeErrors, `${this.#closeErrors.length} clients failed to close`);
    }
  }

  /** The grace period is over: closes the clients still lent; their leases' release then does nothing. */
  #forceClose(): void {
    for (const client of this.#clients.keys()) this.#retire(client, true);
    this.#reserved = 0;
    // Race: close with clones in flight (a fill, a replacement). They are not the
    // pool's yet, so the grace period cannot close them: close() waits for each to
    // land and #cloned closes it, the last one ending the wait.
    this.#checkDrained();
  }

  #settleClosed(client: C, discarded: boolean): void {
    // Already closed by the grace period of close(); the reserved count was zeroed then.
    if (!this.#clients.has(client)) return;
    this.#reserved--;
    if (discarded) this.#discards++;
    this.#retire(client, !discarded);
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#reserved === 0 && this.#cloning === 0) this.#drained?.();
  }

  // ---- leak detection ----

  #reserveWatched(parsed: ParsedReserveOptions, reservedAt: string): Promise<Lease<C>> {
    return this.#acquire(parsed).then((lease) => {
      this.#watch(lease, reservedAt);
      return lease;
    });
  }

  #watch(lease: Lease<C>, reservedAt: string): void {
    const leaks = this.#leaks;
    const ms = this.#leakDetectionMs;
    if (leaks === undefined || ms === undefined || this.#closed || lease.released) return;
    const timer = new LongTimeout(() => {
      leaks.delete(lease);
      const warning = new LeaseLeakWarning(ms, reservedAt);
      if (leakChannel.hasSubscribers) leakChannel.publish({ pool: this, warning } satisfies LeakMessage);
      process.emitWarning(warning);
    }, ms);
    timer.unref();
    leaks.set(lease, timer);
  }

  #unwatch(lease: Lease<C>): void {
    const timer = this.#leaks?.get(lease);
    if (timer === undefined) return;
    timer.clear();
    this.#leaks?.delete(lease);
  }
}
