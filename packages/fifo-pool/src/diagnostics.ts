import { type Channel, channel } from 'node:diagnostics_channel';

/**
 * The names of the `node:diagnostics_channel` channels a {@link ClientPool}
 * publishes on, one table for the package (`clonepool:<area>:<event>`).
 * Nothing is built or published while a channel has no subscriber.
 *
 * - `reserve`: a lease was lent; message `{ pool, client, waited }`.
 * - `release`: a lease was given back; message `{ pool, client }`.
 * - `discard`: a client was closed as broken (by `discard()` or a failed
 *   `validate`); message `{ pool, client, reason }`.
 * - `cloneError`: a clone for a slot failed; message `{ pool, error }`.
 * - `leak`: a lease was held past `leakDetectionMs`; message `{ pool, warning }`.
 *
 * @example
 * ```ts
 * import { subscribe, unsubscribe } from 'node:diagnostics_channel';
 * import { ClientPool, diagnosticsChannels } from '@clonepool/fifo-pool';
 *
 * const pool = new ClientPool({ clone: () => ({ name: 'client' }) }, 1);
 * const onReserve = (message: unknown) => console.log('reserved, waited:', (message as { waited: boolean }).waited);
 * subscribe(diagnosticsChannels.reserve, onReserve);
 * await pool.use(() => {});
 * unsubscribe(diagnosticsChannels.reserve, onReserve);
 * await pool.close();
 * // → reserved, waited: false
 * ```
 */
export const diagnosticsChannels: {
  readonly reserve: 'clonepool:pool:reserve';
  readonly release: 'clonepool:pool:release';
  readonly discard: 'clonepool:pool:discard';
  readonly cloneError: 'clonepool:pool:clone-error';
  readonly leak: 'clonepool:pool:leak';
} = Object.freeze({
  reserve: 'clonepool:pool:reserve',
  release: 'clonepool:pool:release',
  discard: 'clonepool:pool:discard',
  cloneError: 'clonepool:pool:clone-error',
  leak: 'clonepool:pool:leak',
});

/** The channels, made once; publishers check `hasSubscribers` before building a message. */
export const channels: { readonly [K in keyof typeof diagnosticsChannels]: Channel } = {
  reserve: channel(diagnosticsChannels.reserve),
  release: channel(diagnosticsChannels.release),
  discard: channel(diagnosticsChannels.discard),
  cloneError: channel(diagnosticsChannels.cloneError),
  leak: channel(diagnosticsChannels.leak),
};
