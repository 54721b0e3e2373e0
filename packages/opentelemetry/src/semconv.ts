// The names this package emits, as OpenTelemetry's semantic conventions spell them
// (database spans: stable since 1.33; connection-pool metrics: development), in one
// place rather than a dependency on @opentelemetry/semantic-conventions for a few strings.

/** `db.system.name`: the database management system. */
export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
/** `db.operation.name`: the memcached command (`get`, `set`, `BATCH set`). */
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
/** `db.operation.batch.size`: how many commands a batch holds. */
export const ATTR_DB_OPERATION_BATCH_SIZE = 'db.operation.batch.size';
/** `db.query.text`: the commands with their keys, values as `?` (opt-in). */
export const ATTR_DB_QUERY_TEXT = 'db.query.text';
/** `db.response.status_code`: memcached's error reply, `SERVER_ERROR` or `CLIENT_ERROR`. */
export const ATTR_DB_RESPONSE_STATUS_CODE = 'db.response.status_code';
/** `server.address`: the host, or the socket path. */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** `server.port`: the TCP port. */
export const ATTR_SERVER_PORT = 'server.port';
/** `error.type`: the class of error a command ended with. */
export const ATTR_ERROR_TYPE = 'error.type';
/** `memcached.key_count`: how many keys a multi-key command names (not a convention: memcached's own). */
export const ATTR_MEMCACHED_KEY_COUNT = 'memcached.key_count';
/** `db.client.connection.pool.name`: the pool a metric is about. */
export const ATTR_POOL_NAME = 'db.client.connection.pool.name';
/** `db.client.connection.state`: `idle` or `used`. */
export const ATTR_CONNECTION_STATE = 'db.client.connection.state';

/** `db.system.name`'s value for memcached. */
export const DB_SYSTEM_NAME_MEMCACHED = 'memcached';
/** `error.type` when nothing better describes the error (the conventions' fallback). */
export const ERROR_TYPE_OTHER = '_OTHER';
