/**
 * `ClientPool`: a FIFO pool of clones of one master client, after pylibmc's `ClientPool`.
 *
 * @packageDocumentation
 * @module @clonepool/fifo-pool
 */

// The messages of the channels every clonepool pool shares, defined once in core.
export type {
  CloneErrorMessage,
  CloneMessage,
  CloseErrorMessage,
  DiscardMessage,
  ReleaseMessage,
  ReserveErrorMessage,
  ReserveMessage,
} from '@clonepool/core';
export { ClientPool } from './client-pool.js';
export { channelNames, type LeakMessage } from './diagnostics.js';
export { LeaseLeakWarning } from './leak-warning.js';
export type { ClientPoolOptions, CloseOptions } from './options.js';
export type { ClientPoolStats } from './stats.js';
