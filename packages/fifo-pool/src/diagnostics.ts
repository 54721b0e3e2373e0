import { type Channel, channel } from 'node:diagnostics_channel';
import { type Pool, type PoolChannelNames, poolChannelNames } from '@clonepool/core';
import type { LeaseLeakWarning } from './leak-warning.js';
import type { ClientPoolStats } from './stats.js';

/**
 * The names of the `node:diagnostics_channel` channels a {@link ClientPool}
 * publishes on, one frozen table for the package
 * (`clonepool:fifo-pool:<event>`). Every pool publishes the same events at
 * the same moments (core's `PoolChannelNames` lists them with their
 * messages), so one subscriber serves both clonepool pools:
 *
 * - `reserve` (`ReserveMessage`: `pool`, `client`, `waitedMs`) and
 *   `reserveError` (`ReserveErrorMessage`: `pool`, `error`, `waitedMs`):
 *   every reserve publishes one of the two;
 * - `release` (`ReleaseMessage`: `pool`, `client`, `heldMs`, `discarded`);
 * - `clone` (`CloneMessage`: `pool`, `client`, `durationMs`) and
 *   `cloneError` (`CloneErrorMessage`: `pool`, `error`, `durationMs`);
 * - `discard` (`DiscardMessage`: `pool`, `client`, `reason`): a client closed
 *   as broken, by `lease.discard()` or a failed `validate`;
 * - `closeError` (`CloseErrorMessage`: `pool`, `client`, `error`);
 *
 * and one of this pool's own:
 *
 * - `leak` ({@link LeakMessage}: `pool`, `warning`): a lease was held past
 *   `leakDetectionMs`.
 *
 * Nothing is measured or built while a channel has no subscriber.
 *
 * @example
 * ```ts
 * import { subscribe, unsubscribe } from 'node:diagnostics_channel';
 * import type { ReserveErrorMessage, ReserveMessage } from '@clonepool/core';
 * import { ClientPool, channelNames } from '@clonepool/fifo-pool';
 *
 * const pool = new ClientPool({ clone: () => ({ name: 'client' }) }, 1);
 * const onReserve = (message: unknown) => console.log('reserved, waited < 1 s:', (message as ReserveMessage).waitedMs < 1_000);
 * const onError = (message: unknown) => console.log('refused:', ((message as ReserveErrorMessage).error as { code: string }).code);
 * subscribe(channelNames.reserve, onReserve);
 * subscribe(channelNames.reserveError, onError);
 * const held = await pool.reserve();
 * await pool.reserve().catch(() => {});
 * held.release();
 * unsubscribe(channelNames.reserve, onReserve);
 * unsubscribe(channelNames.reserveError, onError);
 * await pool.close();
 * console.log(channelNames.reserve);
 * // → reserved, waited < 1 s: true
 * // → refused: ERR_POOL_EXHAUSTED
 * // → clonepool:fifo-pool:reserve
 * ```
 */
export const channelNames: PoolChannelNames<'fifo-pool'> & { readonly leak: 'clonepool:fifo-pool:leak' } =
  Object.freeze({ ...poolChannelNames('fifo-pool'), leak: 'clonepool:fifo-pool:leak' } as const);

/**
 * Published on `clonepool:fifo-pool:leak` when a lease was held longer than
 * the pool's `leakDetectionMs`, next to the `process.emitWarning` of the
 * same warning.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { ClientPool, channelNames, type LeakMessage } from '@clonepool/fifo-pool';
 *
 * subscribe(channelNames.leak, (message) => console.log('leak after', (message as LeakMessage).warning.leakDetectionMs, 'ms'));
 * const pool = new ClientPool({ clone: () => ({}) }, 1, { leakDetectionMs: 10 });
 * const lease = await pool.reserve();
 * await new Promise((resolve) => setTimeout(resolve, 30));
 * lease.release();
 * await pool.close();
 * // → leak after 10 ms
 * ```
 */
export interface LeakMessage {
  /** The pool the lease came from. */
  readonly pool: Pool<unknown, ClientPoolStats>;
  /** The warning, whose stack is where the lease was reserved. */
  readonly warning: LeaseLeakWarning;
}

/** The package's own channel, made once; the shared ones are published through core's `PoolChannels`. */
export const leakChannel: Channel = channel(channelNames.leak);
