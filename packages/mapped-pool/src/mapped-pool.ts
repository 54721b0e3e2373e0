import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Clonable,
  checkClonable,
  checkMilliseconds,
  checkOptions,
  checkPoolName,
  closeClient,
  InvalidArgumentError,
  isPromiseLike,
  Lease,
  type LeaseOwner,
  MAX_TIMER_MS,
  type ParsedReserveOptions,
  type Pool,
  PoolChannels,
  PoolClosedError,
  PoolExhaustedError,
  type PoolStats,
  parseReserveDefaults,
  parseReserveOptions,
  type ReserveDefaults,
  type ReserveOptions,
  useClient,
  WaitQueue,
} from '@clonepool/core';
import { channelNames, type DropMessage, type DropReason, dropChannel } from './diagnostics.js';

/**
 * How a {@link MappedPool} maps, bounds and expires its clients.
 *
 * @example
 * ```ts
 * import { TestClient } from '@clonepool/core/testing';
 * import { MappedPool } from '@clonepool/mapped-pool';
 *
 * let tenant = 'acme';
 * const pool = new MappedPool(new TestClient(), { key: () => tenant, maxClients: 10, idleTimeoutMs: 60_000 });
 * const acme = await pool.use((client) => client.id);
 * tenant = 'globex';
 * const globex = await pool.use((client) => client.id);
 * tenant = 'acme';
 * console.log(acme, globex, await pool.use((client) => client.id));
 * // → 1 2 1
 * await pool.close();
 * ```
 */
export interface MappedPoolOptions {
  /**
   * The most clients mapped to contexts at once, clones in flight included.
   * At the bound, a reserve in a context without a client waits until some
   * context's client is dropped (`block: true`, with `timeoutMs` and `signal`)
   * or rejects with `ERR_POOL_EXHAUSTED`. A dropped client that is still
   * leased no longer counts; it closes after its last release.
   * @default Infinity
   */
  readonly maxClients?: number | undefined;
  /**
   * Close a context's client after it has gone this many milliseconds without
   * a lease; the next reserve in that context clones anew. One unref'd timer
   * sweeps the whole pool, so a client closes between `idleTimeoutMs` and
   * `idleTimeoutMs * 1.25` after its last release. Any finite length >= 1
   * works: past four times the 2^31 − 1 ms `setInterval` takes, the sweep
   * runs at that limit. Left out, clients stay until their context ends.
   * @default undefined (never)
   */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * Map by this function's value instead of by the pool's own async context:
   * every reserve whose `key()` returns the same value (`SameValueZero`;
   * objects by identity) shares one client, e.g. a tenant id or a worker's
   * `threadId`. With `key`, `run(fn)` just calls `fn`: a key's client stays
   * until `relinquish()` is called under that key, the idle timeout, `close()`,
   * or, for an object key, until the object is garbage-collected.
   * @default undefined (one context per `run()` scope, plus the root context)
   */
  readonly key?: (() => unknown) | undefined;
  /**
   * The defaults of every `reserve()` and `use()`: whether a reserve in a
   * context without a client waits at `maxClients` (`block`), and for how
   * long (`timeoutMs`). Each option a call gives replaces the default's,
   * field by field. Left out, such a reserve does not wait, as pylibmc's; a
   * server with `maxClients` usually wants `{ block: true, timeoutMs }` here.
   * A context that holds its client never waits, whatever the defaults.
   * There is no default `signal`: pass one to each call.
   * @default undefined (`{ block: false }`: reject with `ERR_POOL_EXHAUSTED` at the bound)
   */
  readonly reserve?: ReserveDefaults | undefined;
  /**
   * What diagnostics call the pool: `pool.name`, and the
   * `db.client.connection.pool.name` of `@clonepool/opentelemetry`'s pool
   * metrics. A non-empty string; unique within the application is best.
   * @default undefined (no name)
   */
  readonly name?: string | undefined;
}

/** A {@link MappedPool}'s counters at one moment. */
export interface MappedPoolStats extends PoolStats {
  /**
   * Live contexts: `run()` scopes not yet settled, plus contexts holding a
   * client outside any scope (the root context, `key` values, and scopes that
   * reserved again after they ended).
   */
  readonly contexts: number;
  /** Clones made since the pool was created. */
  readonly clones: number;
  /** Clients dropped by `relinquish()`, by the end of their `run()` scope, or by a `discard()`. */
  readonly relinquished: number;
  /** Clients dropped because their context was garbage-collected. */
  readonly reclaimed: number;
  /** Clients closed by the idle timeout. */
  readonly idleClosed: number;
}

const POOL_OPTIONS: readonly string[] = ['maxClients', 'idleTimeoutMs', 'key', 'reserve', 'name'];

/** What a {@link Mapping} tells its pool when a lease on its client ends. */
type Settle<C> = (mapping: Mapping<C>, client: C, discarded: boolean, reason: unknown, lease: Lease<C>) => void;

/** Marks a context that is not the holder of a primitive `key` value. */
const NO_KEY: unique symbol = Symbol('no key');

/** What the waiting reserves of a context are rejected with once a sibling reserve mapped a client. */
const SIBLING_MAPPED: unique symbol = Symbol('a sibling reserve mapped the context');

/** The most clients of ended `run()` scopes left open until the next turn of the event loop. */
const MAX_ENDED_SCOPES_PER_TURN = 256;

/** How many sweeps of the idle timer fit in one `idleTimeoutMs`: a client closes at most a quarter late. */
const SWEEPS_PER_TIMEOUT = 4;

/**
 * A logical thread: the store of a `run()` scope, the root context, or the
 * holder for one `key` value. It points at its client's {@link Mapping}; the
 * mapping never points back, so the pool can hold mappings without keeping
 * contexts alive, and a dropped context is reclaimed through the
 * FinalizationRegistry.
 */
class Context<C> {
  mapping: Mapping<C> | undefined = undefined;
  /**
   * Reserves of this context on the slow path that have not settled. A key's
   * holder stays in the key table while it has a client or one of these, and
   * is forgotten once it has neither.
   */
  reserving = 0;
  inScope: boolean;
  readonly key: unknown;

  constructor(inScope: boolean, key: unknown = NO_KEY) {
    this.inScope = inScope;
    this.key = key;
  }
}

/**
 * One clone mapped to one context, from the clone call until the clone is
 * closed. It is the owner of every lease on its client, so a release finds its
 * mapping without a lookup.
 *
 * ```
 *  cloning ──clone resolves──▶ lending ──drop──▶ dropped ──last hold released──▶ closing ──▶ gone
 *     │ clone rejects                                  ▲ (drop while cloning closes once the clone resolves)
 *     └──────────────▶ gone (slot freed, waiting reserves reject)
 * ```
 */
class Mapping<C> implements LeaseOwner<C> {
  /** The client while this mapping lends it; undefined while cloning and once dropped. The hot path reads only this. */
  client: C | undefined = undefined;
  /** The clone this mapping owns and must close, from the moment it resolves until it is closed. */
  clone: C | undefined = undefined;
  /** The clone in flight, shared by every reserve of the context that arrives before it resolves. */
  cloning: Promise<C> | undefined = undefined;
  /** Leases out plus reserves waiting for the clone in flight: the client closes only when this is 0. */
  holds = 0;
  dropped = false;
  closing = false;
  /** When the last hold was released (`performance.now()`), for the idle timeout. */
  idleSince = 0;
  readonly #onSettle: Settle<C>;

  constructor(
    onSettle: Settle<C>,
    readonly unscoped: boolean,
    readonly key: unknown,
  ) {
    this.#onSettle = onSettle;
  }

  settle(client: C, discarded: boolean, reason: unknown, lease: Lease<C>): void {
    this.#onSettle(this, client, discarded, reason, lease);
  }
}

/**
 * One clone of the master per logical thread, kept for that thread's life:
 * pylibmc's `ThreadMappedPool`, where Node's thread is the async context (one
 * request, one job, one consumer loop).
 *
 * `run(fn)` gives `fn` a context of its own: everything `fn` awaits, however
 * deep, reserves the same client, and concurrent contexts get different
 * clients. The first reserve in a context clones the master; nested and
 * concurrent reserves in that context share the clone (never a second one).
 * When the `run()` scope settles, its client is closed. Code outside any
 * `run()` uses one root context, whose client stays until `relinquish()` or
 * `close()`.
 *
 * Nothing goes stale: a context that disappears without relinquishing is
 * reclaimed once it is garbage-collected, and `idleTimeoutMs` closes clients
 * left unused.
 *
 * @typeParam C - The type of the clients.
 *
 * @example
 * ```ts
 * import { TestClient } from '@clonepool/core/testing';
 * import { MappedPool } from '@clonepool/mapped-pool';
 *
 * const pool = new MappedPool(new TestClient());
 * const seen = await Promise.all(
 *   ['a', 'b'].map((name) =>
 *     pool.run(async () => {
 *       const first = await pool.use((client) => client.ping());
 *       await new Promise((resolve) => setTimeout(resolve, 5));
 *       const again = await pool.use((client) => client.ping());
 *       return `${name}: ${first} ${again}`;
 *     }),
 *   ),
 * );
 * console.log(seen.join(', '));
 * // → a: 1 1, b: 2 2
 * const { clones, size, relinquished } = pool.stats();
 * console.log(clones, size, relinquished);
 * // → 2 0 2
 * await pool.close();
 * ```
 */
export class MappedPool<C> implements Pool<C, MappedPoolStats> {
  readonly #master: Clonable<C>;
  readonly #maxClients: number;
  readonly #idleTimeoutMs: number | undefined;
  readonly #key: (() => unknown) | undefined;
  readonly #name: string | undefined;
  /** The reserve options of a call that gives none, and what a call's options override. */
  readonly #defaults: ParsedReserveOptions;
  readonly #storage = new AsyncLocalStorage<Context<C>>();
  readonly #root = new Context<C>(false);
  readonly #byKey = new Map<unknown, Context<C>>();
  readonly #byObjectKey = new WeakMap<object, Context<C>>();
  readonly #waiters = new WaitQueue<void>();
  /** Every mapping whose clone is not yet closed: what `close()` waits for. */
  readonly #mappings = new Set<Mapping<C>>();
  readonly #reclaimer = new FinalizationRegistry<Mapping<C>>((mapping) => this.#drop(mapping, 'reclaim'));
  readonly #onSettle: Settle<C> = (mapping, client, discarded, reason, lease) =>
    this.#settle(mapping, client, discarded, reason, lease);
  /** Publishes on the package's diagnostics channels; a no-op read per event while nobody listens. */
  readonly #channels: PoolChannels<C> = new PoolChannels<C>(this, channelNames);
  /** Capacity taken: mappings not yet dropped (cloning or mapped), plus slots handed to waiters that have not mapped yet. */
  #slots = 0;
  #size = 0;
  #reserved = 0;
  #scopes = 0;
  #unscoped = 0;
  #clones = 0;
  #relinquished = 0;
  #reclaimed = 0;
  #idleClosed = 0;
  #closed = false;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  /** Clients of `run()` scopes that ended this turn, closed together on the next one. */
  #endedScopes: Mapping<C>[] = [];
  #closeEnded: NodeJS.Immediate | undefined;

  /**
   * Makes an empty pool; clients are cloned from `master` on demand.
   *
   * @param master - The client to clone, itself never lent nor closed. For
   *   ioredis, `{ clone: () => redis.duplicate() }`.
   * @param options - Bounds, idle timeout, what to map by, and the defaults of every reserve.
   * @throws `InvalidArgumentError` (`ERR_INVALID_ARG_VALUE`) for a master without `clone()`, an invalid option or an unknown option name.
   */
  constructor(master: Clonable<C>, options: MappedPoolOptions = {}) {
    checkClonable<C>(master);
    const {
      maxClients = Number.POSITIVE_INFINITY,
      idleTimeoutMs,
      key,
      reserve,
      name,
    } = checkOptions(options, POOL_OPTIONS, 'new MappedPool()') as MappedPoolOptions;
    if (maxClients !== Number.POSITIVE_INFINITY && !(Number.isSafeInteger(maxClients) && maxClients >= 1)) {
      throw new InvalidArgumentError('maxClients', 'an integer >= 1 or Infinity', maxClients, 'option');
    }
    if (key !== undefined && typeof key !== 'function') {
      throw new InvalidArgumentError('key', 'a function', key, 'option');
    }
    this.#master = master;
    this.#maxClients = maxClients;
    this.#idleTimeoutMs =
      idleTimeoutMs === undefined ? undefined : checkMilliseconds('idleTimeoutMs', idleTimeoutMs, 1);
    this.#key = key;
    this.#defaults = parseReserveDefaults(reserve);
    this.#name = checkPoolName(name);
  }

  /** Whether `close()` has been called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** The pool's `name` option: what diagnostics call it. */
  get name(): string | undefined {
    return this.#name;
  }

  /** The `maxClients` option: the most clients mapped at once (`Infinity` when unbounded). */
  get maxClients(): number {
    return this.#maxClients;
  }

  /**
   * Runs `fn` in a new context and drops that context's client, if it got one,
   * when `fn`'s promise settles: the client is closed on the next turn of the
   * event loop, or after its last lease is released if some are still out.
   * Everything `fn` awaits reserves the same client. With the `key` option,
   * contexts are key values and `run()` only calls `fn`.
   *
   * @param fn - The request, job, or consumer loop.
   * @returns What `fn` returns.
   *
   * @example
   * ```ts
   * import { TestClient } from '@clonepool/core/testing';
   * import { MappedPool } from '@clonepool/mapped-pool';
   *
   * const pool = new MappedPool(new TestClient());
   * const job = async () => {
   *   const client = await pool.use((c) => c);
   *   await new Promise((resolve) => setTimeout(resolve, 1));
   *   return client === (await pool.use((c) => c));
   * };
   * console.log(await pool.run(job), pool.stats().relinquished);
   * // → true 1
   * await pool.close();
   * ```
   */
  async run<T>(fn: () => T | PromiseLike<T>): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', fn);
    if (this.#key !== undefined) return fn();
    const context = new Context<C>(true);
    this.#scopes++;
    try {
      return await this.#storage.run(context, fn);
    } finally {
      this.#scopes--;
      context.inScope = false;
      const mapping = context.mapping;
      if (mapping !== undefined) {
        context.mapping = undefined;
        this.#drop(mapping, 'scope-end');
      }
    }
  }

  /**
   * Lends the current context's client, cloning the master at the context's
   * first reserve. Releasing the lease keeps the client mapped to the context.
   *
   * @param options - Whether and how long to wait when `maxClients` is reached
   *   and this context has no client yet; what it leaves out comes from the
   *   pool's `reserve` option (pylibmc's non-blocking reserve when that is not set).
   * @returns A lease on the context's client.
   */
  reserve(options?: ReserveOptions): Promise<Lease<C>> {
    // Observed only while someone listens: otherwise the promise goes back as it is, with nothing measured.
    if (this.#channels.observesReserves)
      return this.#channels.observeReserve(performance.now(), this.#reserve(options));
    return this.#reserve(options);
  }

  #reserve(options: ReserveOptions | undefined): Promise<Lease<C>> {
    let context: Context<C>;
    try {
      context = this.#key === undefined ? (this.#storage.getStore() ?? this.#root) : this.#keyed(this.#key());
    } catch (error) {
      // A throwing `key` function rejects the reserve rather than throwing from a promise-returning method.
      return Promise.reject(error);
    }
    const mapping = context.mapping;
    // The hot path: the context already holds its client. A dropped or closed
    // pool's mapping has no client, so those cases fall through to the slow path.
    if (options === undefined && mapping !== undefined && mapping.client !== undefined) {
      mapping.holds++;
      this.#reserved++;
      return Promise.resolve(new Lease(mapping.client, mapping));
    }
    return this.#reserveSlow(context, options);
  }

  /**
   * Runs `fn` with the context's client and releases it after, also when `fn`
   * throws: pylibmc's `with pool.reserve() as mc:`.
   *
   * @param fn - Runs with the client.
   * @param options - As for {@link MappedPool.reserve}.
   * @returns What `fn` returns.
   */
  use<T>(fn: (client: C) => T | PromiseLike<T>, options?: ReserveOptions): Promise<T> {
    return useClient(this, fn, options);
  }

  /**
   * Drops the current context's client and closes it (after its last lease is
   * released, if some are out); the next reserve in this context clones anew.
   *
   * @returns Whether the context had a client (or a clone in flight).
   *
   * @example
   * ```ts
   * import { TestClient } from '@clonepool/core/testing';
   * import { MappedPool } from '@clonepool/mapped-pool';
   *
   * const pool = new MappedPool(new TestClient());
   * const before = await pool.use((client) => client);
   * console.log(pool.relinquish(), before.isClosed, pool.relinquish());
   * // → true true false
   * console.log(await pool.use((client) => client.id));
   * // → 2
   * await pool.close();
   * ```
   */
  relinquish(): boolean {
    const context = this.#key === undefined ? (this.#storage.getStore() ?? this.#root) : this.#peek(this.#key());
    const mapping = context?.mapping;
    if (context === undefined || mapping === undefined || mapping.dropped) return false;
    context.mapping = undefined;
    return this.#drop(mapping, 'relinquish');
  }

  /**
   * Rejects waiting reserves with `ERR_POOL_CLOSED`, refuses later ones, and
   * closes every client exactly once: idle ones now, leased ones after their
   * last release, clones in flight when they arrive. Resolves when all are
   * closed. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#drained = new Promise((resolve) => {
        this.#resolveDrained = resolve;
      });
      this.#waiters.rejectAll(new PoolClosedError());
      this.#stopSweep();
      for (const mapping of this.#mappings) this.#drop(mapping, 'close');
      this.#closeEndedScopes();
      this.#root.mapping = undefined;
      this.#byKey.clear();
      this.#checkDrained();
    }
    return this.#drained ?? Promise.resolve();
  }

  /** Closes the pool at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The pool's counters now. */
  stats(): MappedPoolStats {
    return {
      size: this.#size,
      reserved: this.#reserved,
      waiting: this.#waiters.size,
      contexts: this.#scopes + this.#unscoped,
      clones: this.#clones,
      relinquished: this.#relinquished,
      reclaimed: this.#reclaimed,
      idleClosed: this.#idleClosed,
    };
  }

  async #reserveSlow(context: Context<C>, options: ReserveOptions | undefined): Promise<Lease<C>> {
    // A key's holder was put in the table before this reserve was known to
    // succeed, so that concurrent reserves of the key share it; whatever the
    // outcome (lent, exhausted, timed out, invalid options), the last reserve
    // to finish forgets a holder left without a client.
    context.reserving++;
    try {
      const parsed = parseReserveOptions(options, this.#defaults);
      for (;;) {
        if (this.#closed) throw new PoolClosedError();
        let mapping = live(context);
        if (mapping === undefined) {
          // Invariant: #slots < #maxClients only when nobody waits, since a freed
          // slot goes straight to the oldest waiter; so taking one here is fair.
          if (this.#slots < this.#maxClients) {
            this.#slots++;
          } else if (!parsed.block) {
            throw new PoolExhaustedError(this.#maxClients);
          } else {
            const granted = await this.#waitForSlot(context, parsed);
            if (this.#closed) throw new PoolClosedError();
            // A sibling reserve of this context mapped a client while we waited: share it.
            if (!granted) continue;
            // Two siblings may both have been handed a slot before either ran: the second passes its slot on.
            if (live(context) !== undefined) {
              this.#freeSlot();
              continue;
            }
          }
          mapping = this.#map(context);
        }
        // Counting the hold before any await keeps a drop meanwhile from closing the clone under us.
        mapping.holds++;
        if (mapping.client !== undefined) {
          this.#reserved++;
          return new Lease(mapping.client, mapping);
        }
        // Clone in flight: wait for it with the other reserves of this context.
        try {
          await mapping.cloning;
        } catch (error) {
          mapping.holds--;
          throw error;
        }
        if (this.#closed) {
          mapping.holds--;
          this.#closeIfUnused(mapping);
          throw new PoolClosedError();
        }
        // Dropped while cloning (relinquish, scope end): still lend it; it closes after the last release.
        this.#reserved++;
        return new Lease(mapping.clone as C, mapping);
      }
    } finally {
      context.reserving--;
      this.#forgetIfUnused(context);
    }
  }

  /**
   * Waits in the pool's queue for a slot of capacity. Resolves true holding a
   * slot, or false without one when a sibling reserve of the same context
   * mapped a client first: the reserves of a context wait as one group, which
   * `#map` takes out of the queue, so none of them holds a place (or later a
   * slot) that its context no longer needs. The caller's signal stays the
   * queue's business alone: combining it with ours (`AbortSignal.any`) left a
   * reference on a long-lived signal for every wait on Node 20.
   */
  async #waitForSlot(context: Context<C>, parsed: ParsedReserveOptions): Promise<boolean> {
    try {
      await this.#waiters.wait(parsed, { group: context });
      return true;
    } catch (error) {
      if (error === SIBLING_MAPPED) return false;
      throw error;
    }
  }

  /** Starts the clone for `context`, which must hold a slot already. */
  #map(context: Context<C>): Mapping<C> {
    const mapping = new Mapping<C>(this.#onSettle, !context.inScope, context.key);
    context.mapping = mapping;
    if (this.#waiters.size > 0) this.#waiters.rejectGroup(context, SIBLING_MAPPED);
    this.#mappings.add(mapping);
    if (mapping.unscoped) this.#unscoped++;
    // The root and primitive keys' holders live as long as the pool; only others can be collected.
    if (context !== this.#root && context.key === NO_KEY) this.#reclaimer.register(context, mapping, mapping);
    // Clone outside our context: a client's sockets and timers would otherwise
    // carry the context as their async store and keep it alive for as long as
    // the client is open, so it could never be reclaimed.
    this.#startSweep();
    const start = this.#channels.cloneStarted();
    let made: C | Promise<C>;
    try {
      made = this.#outside(() => this.#master.clone());
    } catch (error) {
      this.#cloneFailed(context, mapping, error, start);
      throw error;
    }
    if (isPromiseLike(made)) {
      const cloning = Promise.resolve(made);
      mapping.cloning = cloning;
      cloning.then(
        (client) => this.#cloned(mapping, client, start),
        (error: unknown) => this.#cloneFailed(context, mapping, error, start),
      );
    } else {
      // A synchronous clone is lent at once, without a promise and a turn of the microtask queue.
      this.#cloned(mapping, made, start);
    }
    return mapping;
  }

  #cloned(mapping: Mapping<C>, client: C, start: number | undefined): void {
    mapping.cloning = undefined;
    mapping.clone = client;
    if (this.#idleTimeoutMs !== undefined) mapping.idleSince = performance.now();
    this.#clones++;
    this.#channels.cloned(client, start);
    if (mapping.dropped) {
      this.#closeIfUnused(mapping);
    } else {
      mapping.client = client;
      this.#size++;
    }
  }

  /** The clone rejected: the reserves waiting for it reject too; the context is left empty for a later retry. */
  #cloneFailed(context: Context<C>, mapping: Mapping<C>, error: unknown, start: number | undefined): void {
    this.#channels.cloneFailed(error, start);
    mapping.cloning = undefined;
    if (!mapping.dropped) {
      mapping.dropped = true;
      if (mapping.unscoped) this.#unscoped--;
      this.#reclaimer.unregister(mapping);
      this.#forgetKey(mapping);
      this.#freeSlot();
    }
    if (context.mapping === mapping) context.mapping = undefined;
    this.#mappings.delete(mapping);
    this.#checkDrained();
  }

  #settle(mapping: Mapping<C>, client: C, discarded: boolean, reason: unknown, lease: Lease<C>): void {
    this.#channels.released(lease, client, discarded);
    if (discarded) this.#channels.discarded(client, reason);
    this.#reserved--;
    mapping.holds--;
    if (discarded && !mapping.dropped) this.#drop(mapping, 'discard');
    else if (mapping.dropped) this.#closeIfUnused(mapping);
    else if (mapping.holds === 0 && this.#idleTimeoutMs !== undefined) mapping.idleSince = performance.now();
  }

  /**
   * Runs `fn` outside every context of this pool, so that what it creates
   * (sockets, timers, promises) does not carry a context as its async store.
   * `run(undefined)` rather than `exit()`: in Node 20, `exit()` disables and
   * re-enables the async hooks of AsyncLocalStorage on every call, which made
   * a `run()` scope several times as expensive.
   */
  #outside<T>(fn: () => T): T {
    return this.#storage.run(undefined as unknown as Context<C>, fn);
  }

  /** Unmaps `mapping` from its context and closes its client once unused. Returns false if it was already dropped. */
  #drop(mapping: Mapping<C>, reason: DropReason): boolean {
    if (mapping.dropped) return false;
    mapping.dropped = true;
    // A clone still in flight is not counted in #size yet.
    if (mapping.client !== undefined) this.#size--;
    mapping.client = undefined;
    if (mapping.unscoped) this.#unscoped--;
    // The capacity is free at once: maxClients bounds mapped clients, and a
    // dropped one only waits for its last lease (or the next turn) to close.
    this.#freeSlot();
    this.#reclaimer.unregister(mapping);
    this.#forgetKey(mapping);
    if (reason === 'reclaim') this.#reclaimed++;
    else if (reason === 'idle') this.#idleClosed++;
    else if (reason !== 'close') this.#relinquished++;
    if (dropChannel.hasSubscribers) {
      dropChannel.publish({ pool: this, client: mapping.clone, reason } satisfies DropMessage<C>);
    }
    if (reason === 'scope-end') this.#closeNextTurn(mapping);
    else this.#closeIfUnused(mapping);
    return true;
  }

  /**
   * Closes the client of a scope that just ended on the next turn of the event
   * loop, batched with every other scope that ended in this one. It keeps
   * `closeClient` (a QUIT written, a socket ended) out of the continuation that
   * awaits `run()`, which is usually the request path; and code that settled
   * the scope can still finish reading from the client it used in the same turn.
   */
  #closeNextTurn(mapping: Mapping<C>): void {
    this.#endedScopes.push(mapping);
    // A loop of scopes that never yields to the event loop (jobs that only
    // await promises) would hold every ended scope's client open: close them
    // now once a batch is full.
    if (this.#endedScopes.length >= MAX_ENDED_SCOPES_PER_TURN) this.#closeEndedScopes();
    else this.#closeEnded ??= this.#outside(() => setImmediate(() => this.#closeEndedScopes()));
  }

  #closeEndedScopes(): void {
    if (this.#closeEnded !== undefined) clearImmediate(this.#closeEnded);
    this.#closeEnded = undefined;
    const ended = this.#endedScopes;
    this.#endedScopes = [];
    for (const mapping of ended) this.#closeIfUnused(mapping);
  }

  #closeIfUnused(mapping: Mapping<C>): void {
    const client = mapping.clone;
    if (mapping.holds > 0 || client === undefined || mapping.closing) return;
    mapping.closing = true;
    mapping.clone = undefined;
    const closed = (): void => {
      this.#mappings.delete(mapping);
      this.#checkDrained();
    };
    closeClient(client).then(closed, (error: unknown) => {
      this.#channels.closeFailed(client, error);
      closed();
    });
  }

  /** Gives a slot of capacity to the oldest waiter, or back to the pool when nobody waits. */
  #freeSlot(): void {
    if (!this.#closed && this.#waiters.serve(undefined)) return;
    this.#slots--;
  }

  #checkDrained(): void {
    if (this.#closed && this.#mappings.size === 0) this.#resolveDrained?.();
  }

  /** The holder of a key value, made on first use. */
  #keyed(value: unknown): Context<C> {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      let context = this.#byObjectKey.get(value);
      if (context === undefined) {
        context = new Context<C>(false);
        this.#byObjectKey.set(value, context);
      }
      return context;
    }
    let context = this.#byKey.get(value);
    if (context === undefined) {
      context = new Context<C>(false, value);
      this.#byKey.set(value, context);
    }
    return context;
  }

  /** The holder of a key value, if there is one. */
  #peek(value: unknown): Context<C> | undefined {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      return this.#byObjectKey.get(value);
    }
    return this.#byKey.get(value);
  }

  /** Forgets the holder of a primitive key whose client was just dropped, unless a reserve of the key is on its way. */
  #forgetKey(mapping: Mapping<C>): void {
    if (mapping.key === NO_KEY) return;
    const context = this.#byKey.get(mapping.key);
    if (context !== undefined) this.#forgetIfUnused(context);
  }

  /**
   * Removes a primitive key's holder from the table once it has no live client
   * and no reserve on its way; the key's next reserve makes a new one. An
   * object key's holder needs no removal: the WeakMap lets it go with the key.
   */
  #forgetIfUnused(context: Context<C>): void {
    if (context.key === NO_KEY || context.reserving > 0 || live(context) !== undefined) return;
    if (this.#byKey.get(context.key) === context) this.#byKey.delete(context.key);
  }

  #startSweep(): void {
    const timeoutMs = this.#idleTimeoutMs;
    if (timeoutMs === undefined || this.#sweeper !== undefined || this.#closed) return;
    // Made outside any context, for the same reason as the clone: a timer would keep its context alive.
    // Sweeping more often than a quarter of the timeout only closes clients closer to it, so a timeout
    // beyond what setInterval can take (which it would run every millisecond) sweeps at its limit.
    const everyMs = Math.min(MAX_TIMER_MS, Math.max(1, timeoutMs / SWEEPS_PER_TIMEOUT));
    this.#sweeper = this.#outside(() => setInterval(() => this.#sweep(timeoutMs), everyMs));
    this.#sweeper.unref();
  }

  #sweep(timeoutMs: number): void {
    const idleBefore = performance.now() - timeoutMs;
    for (const mapping of this.#mappings) {
      if (!mapping.dropped && mapping.holds === 0 && mapping.client !== undefined && mapping.idleSince <= idleBefore) {
        this.#drop(mapping, 'idle');
      }
    }
    // Stop when there is nothing to sweep, so an abandoned pool is not kept alive by its timer.
    if (this.#mappings.size === 0) this.#stopSweep();
  }

  #stopSweep(): void {
    if (this.#sweeper === undefined) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

/** The context's mapping unless it was dropped. */
function live<C>(context: Context<C>): Mapping<C> | undefined {
  const mapping = context.mapping;
  return mapping === undefined || mapping.dropped ? undefined : mapping;
}
