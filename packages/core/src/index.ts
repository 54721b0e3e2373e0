/**
 * The contract every clonepool strategy meets: `Clonable`, `Pool`, `Lease`, errors with stable codes, and the pieces strategies share.
 *
 * @packageDocumentation
 * @module @clonepool/core
 */
export { type AbortWatcher, unwatchAbort, watchAbort } from './abort-watch.js';
export { type Clonable, checkClonable, closeClient } from './clonable.js';
export {
  ClonepoolError,
  InvalidArgumentError,
  LeaseReleasedError,
  PoolClosedError,
  PoolExhaustedError,
  ReserveAbortedError,
  ReserveTimeoutError,
} from './errors.js';
export { Lease, type LeaseOwner } from './lease.js';
export { LongTimeout, MAX_TIMER_MS } from './long-timeout.js';
export {
  checkMilliseconds,
  checkOptions,
  checkPoolName,
  type ParsedReserveOptions,
  parseReserveDefaults,
  parseReserveOptions,
} from './options.js';
export { type Pool, type PoolStats, type ReserveDefaults, type ReserveOptions, useClient } from './pool.js';
export {
  type CloneErrorMessage,
  type CloneMessage,
  type CloseErrorMessage,
  type DiscardMessage,
  type PoolChannelNames,
  PoolChannels,
  poolChannelNames,
  type ReleaseMessage,
  type ReserveErrorMessage,
  type ReserveMessage,
} from './pool-channels.js';
export { isPromiseLike } from './promise-like.js';
export { type WaiterOptions, WaitQueue } from './waiters.js';
