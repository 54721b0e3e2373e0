import type { Lease } from './lease.js';

/**
 * How a reserve behaves when every client is lent out.
 *
 * @example
 * ```ts
 * import { ClientPool } from '@clonepool/fifo-pool';
 * import { TestClient } from '@clonepool/core/testing';
 *
 * const pool = new ClientPool(new TestClient(), 1);
 * const held = await pool.reserve();
 * const waited = await pool.reserve({ block: true, timeoutMs: 20 }).catch((error) => error.code);
 * console.log(waited);
 * // → ERR_RESERVE_TIMEOUT
 * held.release();
 * await pool.close();
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
   * many milliseconds. Waits without limit when left out.
   */
  readonly timeoutMs?: number;
  /** With `block: true`, stop waiting when this signal aborts (`ERR_RESERVE_ABORTED`). */
  readonly signal?: AbortSignal;
}

/** A pool's counters at one moment. Each strategy adds its own. *
 * @example
 * ```ts
 * import { ClientPool } from '@clonepool/fifo-pool';
 * import { TestClient } from '@clonepool/core/testing';
 *
 * const pool = new ClientPool(new TestClient(), 3);
 * const lease = await pool.reserve();
 * const { size, reserved, waiting } = pool.stats();
 * console.log(size, reserved, waiting);
 * // → 3 1 0
 * lease.release();
 * await pool.close();
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
 * Every strategy in clonepool implements it, and `@clonepool/core/testing`
 * checks that they do.
 *
 * @typeParam C - The type of the pooled clients.
 * @typeParam S - The strategy's stats.
 *
 * @example
 * ```ts
 * import type { Pool } from '@clonepool/core';
 * import { ClientPool } from '@clonepool/fifo-pool';
 * import { MappedPool } from '@clonepool/mapped-pool';
 * import { TestClient } from '@clonepool/core/testing';
 *
 * // Code written against Pool works with every strategy.
 * async function pingTwice(pool: Pool<TestClient>): Promise<number[]> {
 *   await using lease = await pool.reserve();
 *   return [await lease.client.ping(), await lease.client.ping()];
 * }
 * const fifo = new ClientPool(new TestClient(), 2);
 * const mapped = new MappedPool(new TestClient());
 * console.log(await pingTwice(fifo), await mapped.run(() => pingTwice(mapped)));
 * // → [ 1, 1 ] [ 1, 1 ]
 * await fifo.close();
 * await mapped.close();
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
