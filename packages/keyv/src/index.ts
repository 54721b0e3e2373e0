/**
 * A Keyv store on `@clonepool/memcached`, for Keyv and cache-manager: any key,
 * TTLs to the millisecond, and a namespaced `clear()` without a key scan.
 *
 * @packageDocumentation
 * @module @clonepool/keyv
 */
export { MAX_PLAIN_KEY_BYTES } from './keys.js';
export { KeyvMemcached, type KeyvMemcachedEvents } from './store.js';
