/**
 * A fast, correct memcached client with no dependencies: pipelined text protocol, pylibmc-compatible flags and key distribution, and `clone()` for pools.
 *
 * @packageDocumentation
 * @module @clonepool/memcached
 */
export {
  type CasItem,
  Client,
  type ClientEvents,
  type CommandOptions,
  type CounterOptions,
  type MultiCommand,
  type ServerList,
  type WriteOptions,
} from './client.js';
export {
  type CommandContext,
  channelNames,
  type EjectMessage,
  type GetOrSetMessage,
  type RejoinMessage,
  type TopologyChange,
} from './diagnostics.js';
export type { DiscoveryOptions } from './discovery.js';
// Key distribution (modula, ketama, the libmemcached hashes) is public as its folder exports it.
export * from './distribution/index.js';
export {
  AppendUnsupportedError,
  AuthenticationError,
  ClientClosedError,
  ConnectionError,
  CounterTooLargeError,
  InvalidArgumentError,
  InvalidKeyError,
  InvalidServerError,
  InvalidValueError,
  MemcachedClientError,
  MemcachedError,
  MemcachedServerError,
  OperationAbortedError,
  ProtocolError,
  ServersFailedError,
  TimeoutError,
  ValueTooLargeError,
  WaitTimeoutError,
} from './errors.js';
export type {
  GetOrSetFactory,
  GetOrSetOptions,
  InvalidateOptions,
  RefreshContext,
} from './get-or-set.js';
export type { GutterOptions } from './gutter.js';
export { type Key, MAX_KEY_BYTES } from './keys.js';
export { type ClientOptions, DEFAULT_MAX_VALUE_BYTES } from './options.js';
export type { LatencyPercentiles, ServerStats } from './server-stats.js';
export { DEFAULT_PORT } from './servers.js';
export { type FlagBits, Flags, type JsonArray, type JsonObject, type Value } from './values.js';
