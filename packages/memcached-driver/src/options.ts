import type { ConnectionOptions } from 'node:tls';
import { checkOptions, InvalidArgumentError } from '@clonepool/core';
import { AuthCommand } from './commands.js';
import { type DiscoveryOptions, type ParsedDiscovery, parseDiscovery } from './discovery.js';
import { type DistributionKind, type KeyHash, keyHashes } from './distribution/index.js';
import { type GutterOptions, type ParsedGutter, parseGutter } from './gutter.js';
import { prefixBytes } from './keys.js';

/**
 * The options of a {@link Client}: pylibmc's behaviors in camelCase, with units
 * in the names. Unknown names are rejected, as pylibmc rejects unknown behaviors.
 *
 * @example
 * ```ts
 * import { Client, type ClientOptions } from '@clonepool/memcached';
 *
 * const options: ClientOptions = {
 *   keyPrefix: 'shop:',
 *   timeoutMs: 500,
 *   compressionThreshold: 1024,
 *   retryTimeoutMs: 1000,
 * };
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211', options);
 * await client.set('cart:7', { items: 3 });
 * console.log(await client.get('cart:7'));
 * try {
 *   new Client('localhost', { timeout: 5 } as unknown as ClientOptions);
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * await client.close();
 * // → { items: 3 }
 * // → ERR_INVALID_ARG_VALUE
 * ```
 */
export interface ClientOptions {
  /**
   * How long a connect may take before it fails with `ERR_MEMCACHED_TIMEOUT`
   * (pylibmc's `connect_timeout`).
   * @default 4000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long operations may wait with no reply byte arriving before every
   * operation on that connection is rejected with `ERR_MEMCACHED_TIMEOUT` and the
   * socket is closed. It is a deadline on progress, not an idle timer: it runs
   * only while replies are owed, and restarts whenever reply bytes arrive.
   * @default 1000
   */
  readonly timeoutMs?: number;
  /**
   * Sets `TCP_NODELAY`, so small commands leave at once (the client already
   * coalesces the writes of one tick).
   * @default true
   */
  readonly tcpNoDelay?: boolean;
  /**
   * Merges the `get`s issued before a connection's next write into one
   * multi-key command: the `get`, `gets`, `gat` and `gats` calls of one tick
   * bound for one server go out as one line (`get k1 k2 …`, at most 100 calls
   * a line), and each call still resolves with its own value, miss or error.
   * No timer waits for a batch to fill: a get on a client that owes no reply is
   * written in the tick it is called. Only calls next to each other on the
   * connection merge, so a `get` after a `set` of the same key still sees the
   * set; `get` merges with `get`, `gets` with `gets`, and `gat`/`gats` only
   * with the same TTL. `false` sends one command per call.
   * @default true
   */
  readonly mergeGets?: boolean;
  /**
   * Enables TCP keep-alive probes on the sockets (pylibmc's `tcp_keepalive`).
   * @default false
   */
  readonly keepAlive?: boolean;
  /**
   * Prepended to every key on the wire; counts toward the 250-byte limit. As in
   * pylibmc, the prefix is not hashed: a key lives on the same server with or
   * without it.
   * @default ''
   */
  readonly keyPrefix?: string;
  /**
   * Values of at least this many bytes are zlib-compressed when that makes them
   * smaller (pylibmc's `min_compress_len`); `0` turns compression off. Compressed
   * values carry pylibmc's zlib flag and are inflated on read whatever this says.
   * A client with a threshold refuses `append`/`prepend` (`ERR_APPEND_UNSUPPORTED`):
   * bytes added to an item it compressed would corrupt it.
   * @default 0
   */
  readonly compressionThreshold?: number;
  /**
   * The zlib level, `-1` (zlib's default, 6) or 0 to 9 (pylibmc's `compress_level`).
   * @default -1
   */
  readonly compressionLevel?: number;
  /**
   * The largest value, in bytes, that this client writes or reads. A write whose
   * value serializes to more (counted before compression, and so after it too)
   * rejects with `ERR_VALUE_TOO_LARGE` before anything is sent. A compressed
   * value read is inflated up to this size and no further: one that inflates to
   * more rejects with `ERR_VALUE_TOO_LARGE` (a small stored item cannot make the
   * reader allocate gigabytes). Limiting both sides the same way means this
   * client never writes what it would refuse to read. The default leaves room
   * for memcached's item header and a 250-byte key inside its default 1 MiB item
   * limit (`-I 1m`).
   * @default 1048064
   */
  readonly maxValueBytes?: number;
  /**
   * How long a server that failed to connect or timed out is left alone:
   * operations for it reject with `ERR_MEMCACHED_CONNECTION` at once until this
   * has passed, then the next operation connects again (pylibmc's `retry_timeout`,
   * in milliseconds). A connection the server closed is re-made on the next
   * operation without waiting.
   * @default 2000
   */
  readonly retryTimeoutMs?: number;
  /**
   * How keys are spread over several servers: `'modula'` (pylibmc's default),
   * `'ketama'` or `'ketama-weighted'`, computed exactly as libmemcached does.
   * @default 'modula'
   */
  readonly distribution?: DistributionKind;
  /**
   * The key hash that picks a key's server, pylibmc's `hash` behavior:
   * `'default'` (libmemcached's one-at-a-time), `'md5'`, `'crc'`, `'fnv1_64'`,
   * `'fnv1a_64'`, `'fnv1_32'`, `'fnv1a_32'`, `'murmur'` or `'jenkins'`. Only
   * matters with several servers.
   * @default 'default' ('md5' with 'ketama-weighted', as libmemcached sets it)
   */
  readonly hash?: KeyHash;
  /**
   * Failover, pylibmc's `remove_failed`: after this many failures in a row
   * (failed connects, timeouts, or connections dropped with operations in
   * flight) a server is taken off the ketama ring, so its keys go to the other
   * servers (the `eject` event). No command connects to it for `retryTimeoutMs`;
   * then the client probes it with a `version`: it rejoins the ring when it
   * answers (`rejoin`), else it stays off for another `retryTimeoutMs`. One server always stays on the ring.
   * A streak of failures ends only when a connection to the server has kept
   * answering for longer than `timeoutMs`, or when it rejoins: one reply is not
   * enough, so a server that answers the first command of each new connection
   * and then stalls is ejected too.
   *
   * It also makes multi-key commands partial on a client with several servers:
   * `getMulti` resolves the hits of the healthy servers (the failed ones' keys
   * are misses), `setMulti` returns the failed ones' keys as not stored and
   * `deleteMulti` resolves `false`, each failed server reported by the
   * `partial` event; without it they reject with `ERR_MEMCACHED_SERVERS_FAILED`.
   *
   * `0` keeps every server on the ring (its keys fail while it is down). Under
   * `'modula'` servers are never taken off, as in libmemcached.
   * @default 0
   */
  readonly removeFailed?: number;
  /**
   * Gutter servers, after Facebook's memcache paper: with `removeFailed`, an
   * ejected server's keys go to these spare servers, with writes there capped
   * at `ttl` seconds, instead of moving to the other servers of the ring; they
   * go back when it rejoins. See {@link GutterOptions}.
   * @default undefined (an ejected server's keys move to the other servers)
   */
  readonly gutter?: GutterOptions;
  /**
   * Reads the server list from a configuration endpoint with `config get
   * cluster` (AWS ElastiCache's auto-discovery) and follows it, polling every
   * `intervalMs`. With it, the server list given to the constructor may be
   * empty (`[]`): see {@link DiscoveryOptions}.
   * @default undefined (the server list changes only by `setServers`)
   */
  readonly discovery?: DiscoveryOptions;
  /**
   * Connects with TLS (memcached 1.6 started with `-Z`): `true`, or the options
   * passed to `tls.connect` (`ca`, `cert`, `key`, `servername`,
   * `rejectUnauthorized`, …).
   * @default false
   */
  readonly tls?: boolean | ConnectionOptions;
  /**
   * The user for memcached's ASCII authentication (`memcached -Y auth-file`);
   * give `password` too.
   * @default undefined
   */
  readonly username?: string;
  /**
   * The password for memcached's ASCII authentication. It is kept out of logs
   * and `util.inspect` output.
   * @default undefined
   */
  readonly password?: string;
}

/** The options after validation, shared (frozen) by a client and all its clones. */
export interface ParsedOptions {
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly tcpNoDelay: boolean;
  readonly keepAlive: boolean;
  readonly mergeGets: boolean;
  /** The prefix's UTF-8 bytes as a latin1 string. */
  readonly keyPrefix: string;
  readonly compressionThreshold: number;
  readonly compressionLevel: number;
  readonly maxValueBytes: number;
  readonly retryTimeoutMs: number;
  readonly removeFailed: number;
  readonly distribution: DistributionKind;
  readonly hash: KeyHash | undefined;
  readonly tls: ConnectionOptions | undefined;
  /** The ASCII auth command, pre-encoded; `undefined` without authentication. */
  readonly auth: AuthCommand | undefined;
  readonly gutter: ParsedGutter | undefined;
  readonly discovery: ParsedDiscovery | undefined;
}

const KNOWN: readonly string[] = [
  'connectTimeoutMs',
  'timeoutMs',
  'tcpNoDelay',
  'keepAlive',
  'mergeGets',
  'keyPrefix',
  'compressionThreshold',
  'compressionLevel',
  'maxValueBytes',
  'retryTimeoutMs',
  'removeFailed',
  'distribution',
  'hash',
  'tls',
  'username',
  'password',
  'gutter',
  'discovery',
];

/**
 * The default `maxValueBytes`: memcached's default item size limit (`-I 1m`)
 * less room for its item header and a 250-byte key.
 *
 * @example
 * ```ts
 * import { Client, DEFAULT_MAX_VALUE_BYTES } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * console.log(await client.set('doc:max', Buffer.alloc(DEFAULT_MAX_VALUE_BYTES)));
 * await client.set('doc:max', Buffer.alloc(DEFAULT_MAX_VALUE_BYTES + 1)).catch((error) => console.log(error.code));
 * await client.close();
 * // → true
 * // → ERR_VALUE_TOO_LARGE
 * ```
 */
export const DEFAULT_MAX_VALUE_BYTES: number = 1024 * 1024 - 512;

/** Validates {@link ClientOptions}; throws `InvalidArgumentError` (`ERR_INVALID_ARG_VALUE`). */
export function parseOptions(options: unknown): ParsedOptions {
  const o = options === undefined ? {} : checkOptions(options, KNOWN, 'new Client()');
  const auth = authCommand(o);
  const prefix = keyPrefix(o);
  const distribution = o.distribution ?? 'modula';
  if (distribution !== 'modula' && distribution !== 'ketama' && distribution !== 'ketama-weighted') {
    throw new InvalidArgumentError('distribution', "'modula', 'ketama' or 'ketama-weighted'", distribution, 'option');
  }
  const hash = o.hash;
  if (hash !== undefined && (typeof hash !== 'string' || !Object.hasOwn(keyHashes, hash))) {
    throw new InvalidArgumentError('hash', `one of ${Object.keys(keyHashes).join(', ')}`, hash, 'option');
  }
  const tls = o.tls ?? false;
  if (typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null)) {
    throw new InvalidArgumentError('tls', 'a boolean or tls.connect options', tls, 'option');
  }
  const compressionLevel = integer(o, 'compressionLevel', -1, -1, 9);
  const removeFailed = integer(o, 'removeFailed', 0, 0, 2 ** 31 - 1);
  return Object.freeze({
    connectTimeoutMs: integer(o, 'connectTimeoutMs', 4000, 1, 2 ** 31 - 1),
    timeoutMs: integer(o, 'timeoutMs', 1000, 1, 2 ** 31 - 1),
    tcpNoDelay: boolean(o, 'tcpNoDelay', true),
    keepAlive: boolean(o, 'keepAlive', false),
    mergeGets: boolean(o, 'mergeGets', true),
    keyPrefix: prefix,
    compressionThreshold: integer(o, 'compressionThreshold', 0, 0, 2 ** 31 - 1),
    compressionLevel,
    maxValueBytes: integer(o, 'maxValueBytes', DEFAULT_MAX_VALUE_BYTES, 0, 2 ** 31 - 1),
    retryTimeoutMs: integer(o, 'retryTimeoutMs', 2000, 0, 2 ** 31 - 1),
    removeFailed,
    distribution,
    hash: hash as KeyHash | undefined,
    tls: tls === false ? undefined : tls === true ? {} : { ...tls },
    auth,
    gutter: parseGutter(o.gutter, removeFailed),
    discovery: parseDiscovery(o.discovery),
  });
}

/** The auth command of `username` and `password`, given both or neither. */
function authCommand(o: Record<string, unknown>): AuthCommand | undefined {
  const username = optionalString(o, 'username');
  const password = optionalString(o, 'password');
  if ((username === undefined) !== (password === undefined)) {
    throw new InvalidArgumentError(
      username === undefined ? 'username' : 'password',
      'given with the other',
      undefined,
      'option',
    );
  }
  if (username === undefined || password === undefined) return undefined;
  if (!/^[^\s]+$/.test(username))
    throw new InvalidArgumentError('username', 'non-empty, without spaces', username, 'option');
  if (/[\r\n]/.test(password) || password === '') {
    throw new InvalidArgumentError('password', 'non-empty, without CR or LF', 'a password that is not', 'option');
  }
  return new AuthCommand(username, password);
}

/** The `keyPrefix`'s UTF-8 bytes as latin1, checked to be usable in a key. */
function keyPrefix(o: Record<string, unknown>): string {
  const prefix = o.keyPrefix ?? '';
  if (typeof prefix !== 'string') throw new InvalidArgumentError('keyPrefix', 'a string', prefix, 'option');
  try {
    return prefixBytes(prefix);
  } catch {
    throw new InvalidArgumentError(
      'keyPrefix',
      'usable in a key (no spaces or control characters, under 250 bytes)',
      prefix,
      'option',
    );
  }
}

function integer(o: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = o[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(name, `an integer from ${min} to ${max}`, value, 'option');
  }
  return value;
}

function boolean(o: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = o[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(name, 'a boolean', value, 'option');
  return value;
}

function optionalString(o: Record<string, unknown>, name: string): string | undefined {
  const value = o[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(name, 'a string', name === 'password' ? 'a non-string' : value, 'option');
  }
  return value;
}
