import { type Channel, channel } from 'node:diagnostics_channel';

/**
 * The `node:diagnostics_channel` channels the mapped pool publishes on, one
 * table for the package (undici's `lib/core/diagnostics.js` is the model).
 * Every publish is guarded by `hasSubscribers`, so the message object is only
 * built for a listener and an unobserved pool pays one property read.
 *
 * - `clonepool:mapped-pool:clone` — `{ pool, client }` after a clone was mapped to a context.
 * - `clonepool:mapped-pool:drop` — `{ pool, client, reason }` when a context's client is
 *   dropped; `reason` is one of {@link DropReason}.
 * - `clonepool:mapped-pool:close-error` — `{ pool, client, error }` when closing a client failed;
 *   the pool has let go of the client either way.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { TestClient } from '@clonepool/core/testing';
 * import { channels, MappedPool } from '@clonepool/mapped-pool';
 *
 * subscribe(channels.drop.name, (message) => console.log('dropped:', (message as { reason: string }).reason));
 * const pool = new MappedPool(new TestClient());
 * await pool.run(() => pool.use((client) => client.ping()));
 * await pool.close();
 * // → dropped: scope-end
 * ```
 */
export const channels: {
  readonly clone: Channel;
  readonly drop: Channel;
  readonly closeError: Channel;
} = {
  clone: channel('clonepool:mapped-pool:clone'),
  drop: channel('clonepool:mapped-pool:drop'),
  closeError: channel('clonepool:mapped-pool:close-error'),
};

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
