export { type CasItem, Client, type ServerList, type WriteOptions } from './client.js';
export { type CommandContext, channelNames, channels } from './diagnostics.js';
export type { Distribution, DistributionKind, DistributionServer } from './distribution/index.js';
export {
  AuthenticationError,
  ClientClosedError,
  ConnectionError,
  InvalidArgumentError,
  InvalidKeyError,
  InvalidValueError,
  MemcachedClientError,
  MemcachedServerError,
  ProtocolError,
  TimeoutError,
  ValueTooLargeError,
} from './errors.js';
export { type Key, MAX_KEY_BYTES } from './keys.js';
export { type ClientOptions, DEFAULT_MAX_VALUE_BYTES } from './options.js';
export { DEFAULT_PORT, InvalidServerError } from './servers.js';
export { Flags, type JsonArray, type JsonObject, type Value } from './values.js';
