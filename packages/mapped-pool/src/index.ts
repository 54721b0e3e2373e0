/**
 * `MappedPool`: one clone of the master per async context, after pylibmc's `ThreadMappedPool`.
 *
 * @packageDocumentation
 * @module @clonepool/mapped-pool
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
export { channelNames, type DropMessage, type DropReason } from './diagnostics.js';
export { type ContextRunner, contextMiddleware, type WithContextOptions, withContext } from './http.js';
export { MappedPool, type MappedPoolOptions, type MappedPoolStats } from './mapped-pool.js';
