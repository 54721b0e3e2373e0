import {
  checkMilliseconds,
  checkOptions,
  checkPoolName,
  InvalidArgumentError,
  type ParsedReserveOptions,
  parseReserveDefaults,
  type ReserveDefaults,
} from '@clonepool/core';

/**
 * How a {@link ClientPool} behaves beyond its size. Every option is optional;
 * an unknown option name is rejected with `ERR_INVALID_ARG_VALUE`, so a typo
 * never silently turns a feature off.
 *
 * @typeParam C - The type of the pooled clients.
 */
export interface ClientPoolOptions<C> {
  /**
   * Checks an idle client before it is lent. A client for which it returns
   * (or resolves to) `false`, or throws, is closed and replaced by a fresh
   * clone, and the reserve carries on with the next idle client, or else
   * gets the replacement itself, ahead of reserves that queued while the
   * check ran (a non-blocking reserve waits for it too; if the replacement
   * clone fails, the reserve rejects with the clone's error).
   * Clients handed straight from a release to a waiter are not checked: they
   * were just in use.
   *
   * @default undefined (no check)
   * @example
   * ```ts
   * import { ClientPool } from '@clonepool/fifo-pool';
   * import { TestClient } from '@clonepool/core/testing';
   *
   * const pool = new ClientPool(new TestClient(), 2, { validate: (client) => !client.isClosed });
   * const lease = await pool.reserve();
   * console.log(lease.client.isClosed);
   * lease.release();
   * await pool.close();
   * // → false
   * ```
   */
  readonly validate?: ((client: C) => boolean | PromiseLike<boolean>) | undefined;
  /**
   * Warns when a lease is held longer than this many milliseconds: the pool
   * emits a {@link LeaseLeakWarning} (`process.emitWarning`, code
   * `CLONEPOOL_LEAK`) whose stack is where the lease was reserved, and
   * publishes it on the `clonepool:fifo-pool:leak` diagnostics channel. The stack is
   * captured only while this option is set, so leaving it off costs nothing.
   * Any finite length >= 1 works, also beyond the 2^31 − 1 ms `setTimeout` takes.
   *
   * @default undefined (leak detection off)
   */
  readonly leakDetectionMs?: number | undefined;
  /**
   * The defaults of every `reserve()` and `use()`: `block` and `timeoutMs`.
   * Each option a call gives replaces the default's, field by field
   * (`{ block: false }` for a call that must not wait, `timeoutMs: Infinity`
   * for one that waits without limit). Left out, a reserve does not wait,
   * as pylibmc's; a server usually wants `{ block: true, timeoutMs }` here,
   * so a burst waits its turn for a while rather than failing at once. There
   * is no default `signal`: pass one to each call.
   *
   * @default undefined (`{ block: false }`: reject with `ERR_POOL_EXHAUSTED` at once)
   * @example
   * ```ts
   * import { ClientPool } from '@clonepool/fifo-pool';
   * import { TestClient } from '@clonepool/core/testing';
   *
   * const pool = new ClientPool(new TestClient(), 1, { reserve: { block: true, timeoutMs: 2_000 } });
   * const first = await pool.reserve();
   * const waiting = pool.use((client) => client.id); // waits, up to 2 s, for the one client
   * first.release();
   * console.log(await waiting);
   * const held = await pool.reserve();
   * // A call overrides the defaults field by field: this one fails at once rather than wait.
   * console.log(await pool.reserve({ block: false }).catch((error) => error.code));
   * held.release();
   * await pool.close();
   * // → 1
   * // → ERR_POOL_EXHAUSTED
   * ```
   */
  readonly reserve?: ReserveDefaults | undefined;
  /**
   * What diagnostics call the pool: `pool.name`, and the
   * `db.client.connection.pool.name` of `@clonepool/opentelemetry`'s pool
   * metrics. A non-empty string; unique within the application is best.
   *
   * @default undefined (no name)
   */
  readonly name?: string | undefined;
}

/** How {@link ClientPool.close} treats leases still out. */
export interface CloseOptions {
  /**
   * Wait at most this many milliseconds for outstanding leases to be
   * released, then close their clients anyway: any finite number >= 0, also
   * beyond the 2^31 − 1 ms `setTimeout` takes. Waits for every lease when
   * left out.
   *
   * @default undefined (wait for every lease)
   */
  readonly graceMs?: number | undefined;
}

/** Pool options after validation. */
export interface ParsedPoolOptions<C> {
  readonly validate: ((client: C) => boolean | PromiseLike<boolean>) | undefined;
  readonly leakDetectionMs: number | undefined;
  readonly reserve: ParsedReserveOptions;
  readonly name: string | undefined;
}

const POOL_OPTIONS: readonly string[] = ['validate', 'leakDetectionMs', 'reserve', 'name'];
const CLOSE_OPTIONS: readonly string[] = ['graceMs'];

/** Validates the options of `new ClientPool()`. Throws {@link InvalidArgumentError}. */
export function parsePoolOptions<C>(options: ClientPoolOptions<C> | undefined): ParsedPoolOptions<C> {
  if (options === undefined)
    return {
      validate: undefined,
      leakDetectionMs: undefined,
      reserve: parseReserveDefaults(undefined),
      name: undefined,
    };
  const { validate, leakDetectionMs, reserve, name } = checkOptions(options, POOL_OPTIONS, 'new ClientPool()');
  if (validate !== undefined && typeof validate !== 'function') {
    throw new InvalidArgumentError('validate', 'a function (client) => boolean | Promise<boolean>', validate, 'option');
  }
  return {
    validate: validate as ParsedPoolOptions<C>['validate'],
    leakDetectionMs:
      leakDetectionMs === undefined ? undefined : checkMilliseconds('leakDetectionMs', leakDetectionMs, 1),
    reserve: parseReserveDefaults(reserve as ReserveDefaults | undefined),
    name: checkPoolName(name),
  };
}

/** Validates the options of `close()`; returns `graceMs`. Throws {@link InvalidArgumentError}. */
export function parseCloseOptions(options: CloseOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  const { graceMs } = checkOptions(options, CLOSE_OPTIONS, 'close()');
  return graceMs === undefined ? undefined : checkMilliseconds('graceMs', graceMs, 0);
}

/** Validates the slot count given to `fill()` or the constructor. Throws {@link InvalidArgumentError}. */
export function checkSlots(nSlots: unknown): number {
  if (typeof nSlots !== 'number' || !Number.isSafeInteger(nSlots) || nSlots < 0) {
    throw new InvalidArgumentError('nSlots', 'a whole number >= 0', nSlots);
  }
  return nSlots;
}
