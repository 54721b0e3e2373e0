/**
 * `ClientPool`: a FIFO pool of clones of one master client, after pylibmc's `ClientPool`.
 *
 * @packageDocumentation
 * @module @clonepool/fifo-pool
 */
export { ClientPool } from './client-pool.js';
export { diagnosticsChannels } from './diagnostics.js';
export { LeaseLeakWarning } from './leak-warning.js';
export type { ClientPoolOptions, CloseOptions } from './options.js';
export type { ClientPoolStats } from './stats.js';
