/**
 * `MappedPool`: one clone of the master per async context, after pylibmc's `ThreadMappedPool`.
 *
 * @packageDocumentation
 * @module @clonepool/mapped-pool
 */
export { channels, type DropReason } from './diagnostics.js';
export { type ContextRunner, contextMiddleware, type WithContextOptions, withContext } from './http.js';
export { MappedPool, type MappedPoolOptions, type MappedPoolStats } from './mapped-pool.js';
