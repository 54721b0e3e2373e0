import { type Channel, channel } from 'node:diagnostics_channel';
import type { Lease } from './lease.js';
import type { Pool, PoolStats } from './pool.js';

/**
 * The `node:diagnostics_channel` names every clonepool pool publishes on,
 * `clonepool:<package>:<event>` (as undici's `undici:<area>:<event>`): the
 * same events at the same moments in every pool, so one instrumentation (the
 * connection-pool metrics of OpenTelemetry's conventions, a log line per
 * timeout) serves them all. Each pool package exports its table as
 * `channelNames`, with its own events added.
 *
 * | key | channel | published when | message |
 * | --- | --- | --- | --- |
 * | `reserve` | `…:reserve` | a reserve got its lease | {@link ReserveMessage} |
 * | `reserveError` | `…:reserve-error` | a reserve rejected (exhausted, timed out, aborted, closed, a failed clone, bad options) | {@link ReserveErrorMessage} |
 * | `release` | `…:release` | a lease ended, released or discarded | {@link ReleaseMessage} |
 * | `clone` | `…:clone` | a clone of the master was made | {@link CloneMessage} |
 * | `cloneError` | `…:clone-error` | a clone of the master failed | {@link CloneErrorMessage} |
 * | `discard` | `…:discard` | a client was given up as broken (`lease.discard()`) | {@link DiscardMessage} |
 * | `closeError` | `…:close-error` | closing a client failed | {@link CloseErrorMessage} |
 *
 * Every `reserve()` (and so every `use()`) publishes exactly one of `reserve`
 * and `reserve-error`. Nothing is measured or built while a channel has no
 * subscriber.
 *
 * @typeParam P - The package's name without its scope, such as `fifo-pool`.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { channelNames, ClientPool } from '@clonepool/fifo-pool';
 * import type { ReleaseMessage, ReserveMessage } from '@clonepool/core';
 *
 * subscribe(channelNames.reserve, (message) => {
 *   const { waitedMs } = message as ReserveMessage;
 *   console.log('reserved after waiting', waitedMs < 1_000 ? 'less than a second' : 'long');
 * });
 * subscribe(channelNames.release, (message) => {
 *   const { heldMs, discarded } = message as ReleaseMessage;
 *   console.log('released:', heldMs !== undefined && heldMs >= 0, 'discarded:', discarded);
 * });
 * const pool = new ClientPool({ clone: () => ({}) }, 1);
 * await pool.use(() => {});
 * await pool.close();
 * // → reserved after waiting less than a second
 * // → released: true discarded: false
 * ```
 */
export interface PoolChannelNames<P extends string = string> {
  readonly reserve: `clonepool:${P}:reserve`;
  readonly reserveError: `clonepool:${P}:reserve-error`;
  readonly release: `clonepool:${P}:release`;
  readonly clone: `clonepool:${P}:clone`;
  readonly cloneError: `clonepool:${P}:clone-error`;
  readonly discard: `clonepool:${P}:discard`;
  readonly closeError: `clonepool:${P}:close-error`;
}

/**
 * The names of the channels every pool publishes on, for the package `name`:
 * `clonepool:<name>:<event>`. Pool packages spread it into their own frozen
 * `channelNames` table.
 *
 * @param name - The package's name without its scope, such as `fifo-pool`.
 * @returns The names, frozen.
 *
 * @example
 * ```ts
 * import { poolChannelNames } from '@clonepool/core';
 *
 * const names = poolChannelNames('my-pool');
 * console.log(names.reserve, names.reserveError, Object.isFrozen(names));
 * // → clonepool:my-pool:reserve clonepool:my-pool:reserve-error true
 * ```
 */
export function poolChannelNames<P extends string>(name: P): PoolChannelNames<P> {
  return Object.freeze({
    reserve: `clonepool:${name}:reserve`,
    reserveError: `clonepool:${name}:reserve-error`,
    release: `clonepool:${name}:release`,
    clone: `clonepool:${name}:clone`,
    cloneError: `clonepool:${name}:clone-error`,
    discard: `clonepool:${name}:discard`,
    closeError: `clonepool:${name}:close-error`,
  } as const);
}

/**
 * Published on `clonepool:<package>:reserve` when a reserve got its lease:
 * the connection-pool conventions' wait time.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import type { ReserveMessage } from '@clonepool/core';
 *
 * const describe = ({ waitedMs }: ReserveMessage) => (waitedMs > 100 ? 'slow' : 'fast');
 * console.log(describe({ pool: undefined as never, client: {}, waitedMs: 3 }));
 * // → fast
 * ```
 */
export interface ReserveMessage<C = unknown> {
  /** The pool that lent the client. */
  readonly pool: Pool<C, PoolStats>;
  /** The client lent. */
  readonly client: C;
  /** Milliseconds from the `reserve()` call to the lease (fractional; about 0 with a free client). */
  readonly waitedMs: number;
}

/**
 * Published on `clonepool:<package>:reserve-error` when a reserve rejected.
 * Branch on `error.code`: `ERR_RESERVE_TIMEOUT` (the conventions' timeouts),
 * `ERR_POOL_EXHAUSTED`, `ERR_RESERVE_ABORTED`, `ERR_POOL_CLOSED`,
 * `ERR_INVALID_ARG_VALUE`, or a failed clone's own error.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { channelNames, ClientPool } from '@clonepool/fifo-pool';
 * import type { ReserveErrorMessage } from '@clonepool/core';
 *
 * subscribe(channelNames.reserveError, (message) => {
 *   const { error, waitedMs } = message as ReserveErrorMessage;
 *   console.log((error as { code: string }).code, waitedMs >= 10);
 * });
 * const pool = new ClientPool({ clone: () => ({}) }, 1);
 * const held = await pool.reserve();
 * await pool.reserve({ block: true, timeoutMs: 10 }).catch(() => {});
 * held.release();
 * await pool.close();
 * // → ERR_RESERVE_TIMEOUT true
 * ```
 */
export interface ReserveErrorMessage {
  /** The pool reserved from. */
  readonly pool: Pool<unknown, PoolStats>;
  /** What the reserve rejected with. */
  readonly error: unknown;
  /** Milliseconds from the `reserve()` call to the rejection. */
  readonly waitedMs: number;
}

/**
 * Published on `clonepool:<package>:release` when a lease ended: the
 * conventions' use time.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import type { ReleaseMessage } from '@clonepool/core';
 *
 * const line = ({ heldMs, discarded }: ReleaseMessage) => `${discarded ? 'discarded' : 'released'} after ${heldMs ?? '?'} ms`;
 * console.log(line({ pool: undefined as never, client: {}, heldMs: 12, discarded: false }));
 * // → released after 12 ms
 * ```
 */
export interface ReleaseMessage<C = unknown> {
  /** The pool the lease came from. */
  readonly pool: Pool<C, PoolStats>;
  /** The client the lease held. */
  readonly client: C;
  /**
   * Milliseconds from the lease to its end; `undefined` for a lease made
   * before anyone subscribed to this channel (its start was not measured).
   */
  readonly heldMs: number | undefined;
  /** Whether the lease was discarded (the client given up as broken) rather than released. */
  readonly discarded: boolean;
}

/**
 * Published on `clonepool:<package>:clone` when a clone of the master was
 * made: the conventions' create time.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { TestClient } from '@clonepool/core/testing';
 * import { channelNames, MappedPool } from '@clonepool/mapped-pool';
 * import type { CloneMessage } from '@clonepool/core';
 *
 * subscribe(channelNames.clone, (message) => {
 *   const { durationMs } = message as CloneMessage;
 *   console.log('cloned in >= 10 ms:', durationMs !== undefined && durationMs >= 10);
 * });
 * const pool = new MappedPool(new TestClient({ cloneDelayMs: 10 }));
 * await pool.use(() => {});
 * await pool.close();
 * // → cloned in >= 10 ms: true
 * ```
 */
export interface CloneMessage<C = unknown> {
  /** The pool the clone is for. */
  readonly pool: Pool<C, PoolStats>;
  /** The new client. */
  readonly client: C;
  /**
   * Milliseconds `clone()` took (its promise, when it returns one);
   * `undefined` for a clone started before anyone subscribed.
   */
  readonly durationMs: number | undefined;
}

/**
 * Published on `clonepool:<package>:clone-error` when a clone of the master
 * failed (threw or rejected).
 *
 * @example
 * ```ts
 * import type { CloneErrorMessage } from '@clonepool/core';
 *
 * const line = ({ error }: CloneErrorMessage) => `clone failed: ${(error as Error).message}`;
 * console.log(line({ pool: undefined as never, error: new Error('ECONNREFUSED'), durationMs: 2 }));
 * // → clone failed: ECONNREFUSED
 * ```
 */
export interface CloneErrorMessage {
  /** The pool the clone was for. */
  readonly pool: Pool<unknown, PoolStats>;
  /** What `clone()` threw or rejected with. */
  readonly error: unknown;
  /** Milliseconds until it failed; `undefined` for a clone started before anyone subscribed. */
  readonly durationMs: number | undefined;
}

/**
 * Published on `clonepool:<package>:discard` when a client was given up as
 * broken: by `lease.discard(reason)`, or (in the FIFO pool) by a failed
 * `validate`. The pool closes it.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import type { DiscardMessage } from '@clonepool/core';
 *
 * const line = ({ reason }: DiscardMessage) => `discarded: ${String(reason)}`;
 * console.log(line({ pool: undefined as never, client: {}, reason: 'connection reset' }));
 * // → discarded: connection reset
 * ```
 */
export interface DiscardMessage<C = unknown> {
  /** The pool the client belonged to. */
  readonly pool: Pool<C, PoolStats>;
  /** The broken client. */
  readonly client: C;
  /** What `discard()` was given, or the pool's own reason. */
  readonly reason: unknown;
}

/**
 * Published on `clonepool:<package>:close-error` when closing a client
 * failed. The pool has let go of the client either way.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import type { CloseErrorMessage } from '@clonepool/core';
 *
 * const line = ({ error }: CloseErrorMessage) => `close failed: ${(error as Error).message}`;
 * console.log(line({ pool: undefined as never, client: {}, error: new Error('EPIPE') }));
 * // → close failed: EPIPE
 * ```
 */
export interface CloseErrorMessage<C = unknown> {
  /** The pool that closed it. */
  readonly pool: Pool<C, PoolStats>;
  /** The client whose close failed. */
  readonly client: C;
  /** What its close threw or rejected with. */
  readonly error: unknown;
}

/**
 * A pool's publisher on the channels of {@link PoolChannelNames}, for pool
 * implementations: one per pool, made with the pool and its package's
 * names. Each method checks `hasSubscribers` before it measures or builds
 * anything, so a pool nobody observes pays a property read per event.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { Lease, type Pool, PoolChannels, poolChannelNames } from '@clonepool/core';
 *
 * const names = poolChannelNames('doc-pool');
 * subscribe(names.reserve, () => console.log('reserve published'));
 * subscribe(names.release, (message) => console.log('release published, discarded:', (message as { discarded: boolean }).discarded));
 * const pool = {} as Pool<string>; // stands for the pool itself
 * const channels = new PoolChannels(pool, names);
 * const owner = { settle: (client: string, discarded: boolean, _reason: unknown, lease: Lease<string>) => channels.released(lease, client, discarded) };
 *
 * // In the pool's reserve(): observe only when someone listens, so the hot path stays as it is.
 * const reserving = Promise.resolve(new Lease('client-1', owner));
 * const lease = await (channels.observesReserves ? channels.observeReserve(performance.now(), reserving) : reserving);
 * lease.release();
 * // → reserve published
 * // → release published, discarded: false
 * ```
 */
export class PoolChannels<C> {
  readonly #pool: Pool<C, PoolStats>;
  readonly #reserve: Channel;
  readonly #reserveError: Channel;
  readonly #release: Channel;
  readonly #clone: Channel;
  readonly #cloneError: Channel;
  readonly #discard: Channel;
  readonly #closeError: Channel;
  /** When each lease observed while someone listened to `release` was granted (`performance.now()`). */
  readonly #grantedAt = new WeakMap<Lease<C>, number>();
  readonly #onReserved = (lease: Lease<C>, start: number): Lease<C> => {
    const now = performance.now();
    if (this.#release.hasSubscribers) this.#grantedAt.set(lease, now);
    if (this.#reserve.hasSubscribers) {
      const message: ReserveMessage<C> = { pool: this.#pool, client: lease.client, waitedMs: now - start };
      this.#reserve.publish(message);
    }
    return lease;
  };

  /**
   * @param pool - The pool, given to subscribers in every message.
   * @param names - The package's channel names, from {@link poolChannelNames}.
   */
  constructor(pool: Pool<C, PoolStats>, names: PoolChannelNames) {
    this.#pool = pool;
    this.#reserve = channel(names.reserve);
    this.#reserveError = channel(names.reserveError);
    this.#release = channel(names.release);
    this.#clone = channel(names.clone);
    this.#cloneError = channel(names.cloneError);
    this.#discard = channel(names.discard);
    this.#closeError = channel(names.closeError);
  }

  /**
   * Whether anyone listens to `reserve`, `reserve-error` or `release`: when
   * false, a pool's `reserve()` returns its promise as it is, without
   * {@link PoolChannels.observeReserve}.
   */
  get observesReserves(): boolean {
    return this.#reserve.hasSubscribers || this.#reserveError.hasSubscribers || this.#release.hasSubscribers;
  }

  /**
   * Publishes the outcome of one reserve, `reserve` or `reserve-error`, and
   * notes when the lease was granted for the `release` message. Call it only
   * when {@link PoolChannels.observesReserves}.
   *
   * @param start - `performance.now()` when `reserve()` was called.
   * @param reserving - The reserve's promise.
   * @returns A promise of the same lease or rejection, settled after publishing.
   */
  observeReserve(start: number, reserving: Promise<Lease<C>>): Promise<Lease<C>> {
    return reserving.then(
      (lease) => this.#onReserved(lease, start),
      (error: unknown) => {
        if (this.#reserveError.hasSubscribers) {
          const message: ReserveErrorMessage = { pool: this.#pool, error, waitedMs: performance.now() - start };
          this.#reserveError.publish(message);
        }
        throw error;
      },
    );
  }

  /**
   * Publishes `release` for a lease that ended.
   *
   * @param lease - The lease.
   * @param client - The client it held.
   * @param discarded - Whether it was discarded rather than released.
   */
  released(lease: Lease<C>, client: C, discarded: boolean): void {
    if (!this.#release.hasSubscribers) return;
    const grantedAt = this.#grantedAt.get(lease);
    const heldMs = grantedAt === undefined ? undefined : performance.now() - grantedAt;
    const message: ReleaseMessage<C> = { pool: this.#pool, client, heldMs, discarded };
    this.#release.publish(message);
  }

  /**
   * When a clone starts: `performance.now()` if anyone listens to `clone` or
   * `clone-error`, else `undefined` (the clock is not read).
   */
  cloneStarted(): number | undefined {
    return this.#clone.hasSubscribers || this.#cloneError.hasSubscribers ? performance.now() : undefined;
  }

  /**
   * Publishes `clone`.
   *
   * @param client - The new client.
   * @param start - What {@link PoolChannels.cloneStarted} returned.
   */
  cloned(client: C, start: number | undefined): void {
    if (!this.#clone.hasSubscribers) return;
    const message: CloneMessage<C> = { pool: this.#pool, client, durationMs: durationSince(start) };
    this.#clone.publish(message);
  }

  /**
   * Publishes `clone-error`.
   *
   * @param error - What the clone threw or rejected with.
   * @param start - What {@link PoolChannels.cloneStarted} returned.
   */
  cloneFailed(error: unknown, start: number | undefined): void {
    if (!this.#cloneError.hasSubscribers) return;
    const message: CloneErrorMessage = { pool: this.#pool, error, durationMs: durationSince(start) };
    this.#cloneError.publish(message);
  }

  /**
   * Publishes `discard`.
   *
   * @param client - The broken client.
   * @param reason - Why it was given up.
   */
  discarded(client: C, reason: unknown): void {
    if (!this.#discard.hasSubscribers) return;
    const message: DiscardMessage<C> = { pool: this.#pool, client, reason };
    this.#discard.publish(message);
  }

  /**
   * Publishes `close-error`.
   *
   * @param client - The client whose close failed.
   * @param error - What its close threw or rejected with.
   */
  closeFailed(client: C, error: unknown): void {
    if (!this.#closeError.hasSubscribers) return;
    const message: CloseErrorMessage<C> = { pool: this.#pool, client, error };
    this.#closeError.publish(message);
  }
}

/** Milliseconds since `start`; `undefined` when the start was not measured (nobody listened then). */
function durationSince(start: number | undefined): number | undefined {
  return start === undefined ? undefined : performance.now() - start;
}
