import { ERROR_TYPE_OTHER } from './semconv.js';

/** memcached's error replies, by the code of the driver error that reports each. */
const STATUS_CODES: Readonly<Record<string, string>> = Object.freeze({
  ERR_MEMCACHED_SERVER: 'SERVER_ERROR',
  // The driver reports a bare `ERROR` (a command the server does not know) as a client error too.
  ERR_MEMCACHED_CLIENT: 'CLIENT_ERROR',
});

/** How a failed command is classified: `error.type`, and `db.response.status_code` when memcached replied an error. */
export interface ErrorClass {
  readonly type: string;
  readonly statusCode: string | undefined;
}

/**
 * Classifies what a command rejected with, as the conventions ask: the
 * server's error reply when there was one (`SERVER_ERROR`, `CLIENT_ERROR`),
 * else the error's stable `code` (`ERR_MEMCACHED_TIMEOUT`,
 * `ERR_MEMCACHED_CONNECTION`, `ERR_INVALID_KEY`, …), else its name, else `_OTHER`.
 */
export function classify(error: unknown): ErrorClass {
  if (typeof error !== 'object' || error === null) return { type: ERROR_TYPE_OTHER, statusCode: undefined };
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') {
    const statusCode = STATUS_CODES[code];
    return { type: statusCode ?? code, statusCode };
  }
  return { type: typeof name === 'string' && name !== '' ? name : ERROR_TYPE_OTHER, statusCode: undefined };
}
