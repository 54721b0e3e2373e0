import type { Lease } from './lease.js';

/**
 * How a reserve behaves when every client is lent out.
 *
 * @example
 * ```ts
 * import { parseReserveOptions, type ReserveOptions, WaitQueue } from '@clonepool/core';
 *
 * // Wait up to 20 ms for a client; WaitQueue is what pools wait in.
 * const options: ReserveOptions = { block: true, timeoutMs: 20 };
 * const waiters = new WaitQueue<string>();
 * const waited = await waiters.wait(parseReserveOptions(options)).catch((error) => error.code);
 * console.log(waited);
 * // → ERR_RESERVE_TIMEOUT
 * ```
 */
export interface ReserveOptions {
  /**
   * Wait for a client instead of rejecting at once with `ERR_POOL_EXHAUSTED`,
   * as pylibmc's `reserve(block=True)`.
   * @default false
   */
  readonly block?: boolean;
  /**
   * With `block: true`, reject with `ERR_RESERVE_TIMEOUT` after waiting this
   * many milliseconds: any number >= 0, also beyond the 2^31 − 1 ms that
   * `setTimeout` takes (a 30-day timeout waits 30 days). `Infinity` waits
   * without limit, also on a pool whose default reserve has a timeout.
   * @default the pool's default (no limit unless the pool was given one)
   */
  readonly timeoutMs?: number;
  /** With `block: true`, stop waiting when this signal aborts (`ERR_RESERVE_ABORTED`). */
  readonly signal?: AbortSignal;
}

/**
 * The defaults of every `reserve()` and `use()` of a pool, given when the
 * pool is made (the pools' `reserve` option): each reserve option a call
 * gives replaces the default's, field by field. Without them a reserve does
 * not wait, as pylibmc's; a server usually wants a waiting pool with a
 * timeout instead. There is no default `signal`: a signal belongs to one
 * call (a request, a job), so pass it to that call.
 *
 * @example
 * ```ts
 * import { parseReserveDefaults, parseReserveOptions, type ReserveDefaults } from '@clonepool/core';
 *
 * // What `new ClientPool(master, 4, { reserve: waitTwoSeconds })` does with each reserve's options.
 * const waitTwoSeconds: ReserveDefaults = { block: true, timeoutMs: 2_000 };
 * const defaults = parseReserveDefaults(waitTwoSeconds);
 * console.log(parseReserveOptions(undefined, defaults));
 * // → { block: true, timeoutMs: 2000, signal: undefined }
 * console.log(parseReserveOptions({ timeoutMs: 50 }, defaults).timeoutMs);
 * // → 50
 * ```
 */
export interface ReserveDefaults {
  /**
   * Whether reserves wait for a client when every client is out.
   * @default false (pylibmc's: reject at once with `ERR_POOL_EXHAUSTED`)
   */
  readonly block?: boolean;
  /**
   * How long a waiting reserve waits before `ERR_RESERVE_TIMEOUT`; only with `block: true`.
   * @default no limit
   */
  readonly timeoutMs?: number;
}

/**
 * A pool's counters at one moment. Each strategy adds its own.
 *
 * @example
 * ```ts
 * import type { PoolStats } from '@clonepool/core';
 *
 * function summary({ size, reserved, waiting }: PoolStats): string {
 *   return `${size - reserved} of ${size} free, ${waiting} waiting`;
 * }
 * console.log(summary({ size: 3, reserved: 1, waiting: 0 }));
 * // → 2 of 3 free, 0 waiting
 * ```
 */
export interface PoolStats {
  /** Clients the pool holds now, lent or not. */
  readonly size: number;
  /** Leases out now. */
  readonly reserved: number;
  /** Blocking reserves waiting for a client now. */
  readonly waiting: number;
}

/**
 * A pool of clients: lends one per reserve and takes it back on release.
 * Every strategy in clonepool implements it, and `@clonepool/core/conformance`
 * checks that they do.
 *
 * @typeParam C - The type of the pooled clients.
 * @typeParam S - The strategy's stats.
 *
 * @example
 * ```ts
 * import { Lease, type LeaseOwner, type Pool, PoolExhaustedError, type PoolStats, useClient } from '@clonepool/core';
 *
 * // The smallest pool that meets the contract: one client, lent to one user at a time.
 * class OneClientPool<C> implements Pool<C>, LeaseOwner<C> {
 *   #idle: C | undefined;
 *   #closed = false;
 *   constructor(client: C) {
 *     this.#idle = client;
 *   }
 *   get isClosed(): boolean {
 *     return this.#closed;
 *   }
 *   async reserve(): Promise<Lease<C>> {
 *     const client = this.#idle;
 *     if (client === undefined) throw new PoolExhaustedError(1);
 *     this.#idle = undefined;
 *     return new Lease(client, this);
 *   }
 *   settle(client: C): void {
 *     this.#idle = client;
 *   }
 *   use<T>(fn: (client: C) => T | PromiseLike<T>): Promise<T> {
 *     return useClient(this, fn);
 *   }
 *   async close(): Promise<void> {
 *     this.#closed = true;
 *   }
 *   stats(): PoolStats {
 *     return { size: 1, reserved: this.#idle === undefined ? 1 : 0, waiting: 0 };
 *   }
 *   [Symbol.asyncDispose](): Promise<void> {
 *     return this.close();
 *   }
 * }
 *
 * // Code written against Pool works with every strategy.
 * async function shout(pool: Pool<string>): Promise<string> {
 *   const lease = await pool.reserve();
 *   try {
 *     return lease.client.toUpperCase();
 *   } finally {
 *     lease.release();
 *   }
 * }
 * const pool = new OneClientPool('client-1');
 * console.log(await shout(pool), pool.stats().reserved);
 * // → CLIENT-1 0
 * ```
 */
export interface Pool<C, S extends PoolStats = PoolStats> extends AsyncDisposable {
  /** Lends a client until the returned lease is released. */
  reserve(options?: ReserveOptions): Promise<Lease<C>>;
  /**
   * Runs `fn` with a reserved client and always gives it back, also when `fn`
   * throws: pylibmc's `with pool.reserve() as mc:`. Resolves to `fn`'s result.
   */
  use<T>(fn: (client: C) => T | PromiseLike<T>, options?: ReserveOptions): Promise<T>;
  /** Rejects waiting reserves, closes every client once, and refuses further reserves. Idempotent. */
  close(): Promise<void>;
  /** The pool's counters now. */
  stats(): S;
  /** Whether `close()` has been called. */
  readonly isClosed: boolean;
  /** What diagnostics call the pool (an OpenTelemetry pool name, a log line), if it was given one. */
  readonly name?: string | undefined;
}

/**
 * The body of every strategy's `use()`: reserve, run `fn`, release in `finally`.
 *
 * @param pool - The pool to reserve from.
 * @param fn - Runs with the reserved client.
 * @param options - How to reserve.
 * @returns What `fn` returns.
 *
 * @example
 * ```ts
 * import { useClient, type Pool } from '@clonepool/core';
 *
 * async function countKeys(pool: Pool<Map<string, number>>): Promise<number> {
 *   return useClient(pool, (map) => map.size);
 * }
 * console.log(typeof countKeys);
 * // → function
 * ```
 */
export async function useClient<C, T>(
  pool: Pool<C, PoolStats>,
  fn: (client: C) => T | PromiseLike<T>,
  options?: ReserveOptions,
): Promise<T> {
  const lease = await pool.reserve(options);
  try {
    return await fn(lease.client);
  } finally {
    lease.release();
  }
}
