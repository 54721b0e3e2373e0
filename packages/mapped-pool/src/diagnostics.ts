import { type Channel, channel } from 'node:diagnostics_channel';
import { type Pool, type PoolChannelNames, poolChannelNames } from '@clonepool/core';
import type { MappedPoolStats } from './mapped-pool.js';

/**
 * The names of the `node:diagnostics_channel` channels a {@link MappedPool}
 * publishes on, one frozen table for the package
 * (`clonepool:mapped-pool:<event>`). Every pool publishes the same events at
 * the same moments (core's `PoolChannelNames` lists them with their
 * messages), so one subscriber serves both clonepool pools:
 *
 * - `reserve` (`ReserveMessage`: `pool`, `client`, `waitedMs`) and
 *   `reserveError` (`ReserveErrorMessage`: `pool`, `error`, `waitedMs`):
 *   every reserve publishes one of the two, a context's reuse of its client
 *   included;
 * - `release` (`ReleaseMessage`: `pool`, `client`, `heldMs`, `discarded`);
 * - `clone` (`CloneMessage`: `pool`, `client`, `durationMs`), after a clone
 *   was made for a context, and `cloneError` (`CloneErrorMessage`: `pool`,
 *   `error`, `durationMs`);
 * - `discard` (`DiscardMessage`: `pool`, `client`, `reason`): a lease was
 *   discarded as broken;
 * - `closeError` (`CloseErrorMessage`: `pool`, `client`, `error`);
 *
 * and one of this pool's own:
 *
 * - `drop` ({@link DropMessage}: `pool`, `client`, `reason`): a context's
 *   client was unmapped, for one of the {@link DropReason}s.
 *
 * Nothing is measured or built while a channel has no subscriber.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { TestClient } from '@clonepool/core/testing';
 * import { channelNames, type DropMessage, MappedPool } from '@clonepool/mapped-pool';
 *
 * subscribe(channelNames.drop, (message) => console.log('dropped:', (message as DropMessage).reason));
 * const pool = new MappedPool(new TestClient());
 * await pool.run(() => pool.use((client) => client.ping()));
 * await pool.close();
 * console.log(channelNames.reserve);
 * // → dropped: scope-end
 * // → clonepool:mapped-pool:reserve
 * ```
 */
export const channelNames: PoolChannelNames<'mapped-pool'> & { readonly drop: 'clonepool:mapped-pool:drop' } =
  Object.freeze({ ...poolChannelNames('mapped-pool'), drop: 'clonepool:mapped-pool:drop' } as const);

/**
 * Why a context's client was dropped:
 * - `relinquish` — `pool.relinquish()` was called in the context;
 * - `scope-end` — the `pool.run()` scope that owned the context settled;
 * - `discard` — a lease on the client was discarded as broken;
 * - `reclaim` — the context was garbage-collected while still holding the client;
 * - `idle` — the client went unused for `idleTimeoutMs`;
 * - `close` — the pool was closed.
 */
export type DropReason = 'relinquish' | 'scope-end' | 'discard' | 'reclaim' | 'idle' | 'close';

/**
 * Published on `clonepool:mapped-pool:drop` when a context's client is
 * dropped: unmapped from its context and closed once its last lease is
 * released.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import type { DropMessage } from '@clonepool/mapped-pool';
 *
 * const line = ({ reason }: DropMessage) => (reason === 'reclaim' ? 'a context was lost without ending' : `dropped: ${reason}`);
 * console.log(line({ pool: undefined as never, client: {}, reason: 'idle' }));
 * // → dropped: idle
 * ```
 */
export interface DropMessage<C = unknown> {
  /** The pool that dropped it. */
  readonly pool: Pool<C, MappedPoolStats>;
  /** The client; `undefined` when its clone was still being made (it is closed once it lands). */
  readonly client: C | undefined;
  /** Why it was dropped. */
  readonly reason: DropReason;
}

/** The package's own channel, made once; the shared ones are published through core's `PoolChannels`. */
export const dropChannel: Channel = channel(channelNames.drop);
