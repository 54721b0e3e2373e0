import { ClonepoolError } from '@clonepool/core';

// A bad argument or option is core's one error for it, `ERR_INVALID_ARG_VALUE`
// in every clonepool package; it is exported here too, as this package's
// commands throw it (a TTL that is negative, a delta out of range, …).
export { InvalidArgumentError } from '@clonepool/core';

/**
 * Base class of every error this package defines, so one `instanceof` tells
 * a memcached error from others; each has its own stable `code` too. Like
 * every clonepool error, `instanceof` works when two copies of the package
 * are installed (or one is both imported and required): it matches by the
 * package's family, and on a subclass by its code, never by object identity.
 * A bad argument or option is core's `InvalidArgumentError`, shared by every
 * clonepool package, not one of these.
 *
 * @example
 * ```ts
 * import { Client, MemcachedError } from '@clonepool/memcached';
 *
 * // Nothing listens on port 9: the connect fails.
 * const client = new Client('127.0.0.1:9', { retryTimeoutMs: 0 });
 * try {
 *   await client.get('k');
 * } catch (error) {
 *   if (error instanceof MemcachedError) console.log(error.code, error.server);
 * }
 * await client.close();
 * // → ERR_MEMCACHED_CONNECTION 127.0.0.1:9
 * ```
 */
export class MemcachedError extends ClonepoolError {
  /** `@clonepool/memcached`: what `instanceof MemcachedError` matches, from any copy of the package. */
  static override readonly family = '@clonepool/memcached';
  /**
   * The server the error is about, as `host:port`, `[v6]:port` or a socket
   * path; `undefined` for an error about the caller's input or the client as a
   * whole (a bad key, a closed client, several failed servers).
   */
  readonly server: string | undefined;

  /**
   * @param code - The stable code, `ERR_` and upper snake case.
   * @param message - What happened and what to do about it.
   * @param server - The server the error is about, if it is about one.
   * @param options - The standard `cause`.
   */
  constructor(code: string, message: string, server?: string, options?: ErrorOptions) {
    super(code, message, options);
    this.server = server;
  }
}

/**
 * memcached replied `SERVER_ERROR` (out of memory, object too large for the
 * server's `-I` limit, …). Only the operation it answered is rejected; the
 * connection stays in step. Code `ERR_MEMCACHED_SERVER`.
 *
 * @example
 * ```ts
 * import { MemcachedServerError } from '@clonepool/memcached';
 *
 * const error = new MemcachedServerError('object too large for cache', 'localhost:11211');
 * console.log(error.code);
 * // → ERR_MEMCACHED_SERVER
 * ```
 */
export class MemcachedServerError extends MemcachedError {
  /** `ERR_MEMCACHED_SERVER` */
  static readonly code = 'ERR_MEMCACHED_SERVER';
  /** The server, as `host:port`, `[v6]:port` or a socket path. */
  declare readonly server: string;
  /**
   * @param reply - The text after `SERVER_ERROR`.
   * @param server - The server that replied.
   */
  constructor(reply: string, server: string) {
    super(
      MemcachedServerError.code,
      `memcached at ${server} replied SERVER_ERROR ${reply}. The operation was not done; for "object too large" lower maxValueBytes to the server's -I item size limit, for "out of memory" give memcached more memory (-m).`,
      server,
    );
  }
}

/**
 * memcached replied `CLIENT_ERROR` or `ERROR` to a command (a value that is not
 * a number for `incr`, a command the server does not know, a failed
 * authentication). Only that operation is rejected. Code `ERR_MEMCACHED_CLIENT`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:not-a-number', 'abc');
 * try {
 *   await client.incr('doc:not-a-number');
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * await client.close();
 * // → ERR_MEMCACHED_CLIENT
 * ```
 */
export class MemcachedClientError extends MemcachedError {
  /** `ERR_MEMCACHED_CLIENT` */
  static readonly code = 'ERR_MEMCACHED_CLIENT';
  /** The server, as `host:port`, `[v6]:port` or a socket path. */
  declare readonly server: string;
  /**
   * @param reply - The whole reply line, such as `CLIENT_ERROR cannot increment or decrement non-numeric value`.
   * @param server - The server that replied.
   */
  constructor(reply: string, server: string) {
    super(
      MemcachedClientError.code,
      `memcached at ${server} refused the command: ${reply}. Nothing was changed; check the command's arguments (incr/decr need a stored decimal number, gat/touch need memcached 1.5.3+).`,
      server,
    );
  }
}

/**
 * The bytes a server sent are not a memcached text reply, or do not fit the command
 * waiting for one. Internal: the reply reader throws it without knowing the server, and
 * the connection fails what was in flight with a {@link ProtocolError} naming the server.
 * Code `ERR_MEMCACHED_MALFORMED_REPLY`.
 */
export class MalformedReplyError extends MemcachedError {
  /** `ERR_MEMCACHED_MALFORMED_REPLY` */
  static readonly code = 'ERR_MEMCACHED_MALFORMED_REPLY';
  /** @param reason - What is wrong with the reply. */
  constructor(reason: string) {
    super(MalformedReplyError.code, reason);
  }
}

/** What a {@link ConnectionError} advises by default. */
const CHECK_SERVER = 'Check that the server is up and reachable.';

/**
 * A server could not be reached, the connection dropped, or the server is being
 * left alone for `retryTimeoutMs` after a failure. Operations in flight on the
 * connection are rejected with it; `cause` carries the socket error when there
 * was one. Code `ERR_MEMCACHED_CONNECTION`.
 *
 * @example
 * ```ts
 * import { ConnectionError } from '@clonepool/memcached';
 *
 * const error = new ConnectionError('localhost:1', 'connection refused');
 * console.log(error.code, error.server);
 * // → ERR_MEMCACHED_CONNECTION localhost:1
 * ```
 */
export class ConnectionError extends MemcachedError {
  /** `ERR_MEMCACHED_CONNECTION` */
  static readonly code = 'ERR_MEMCACHED_CONNECTION';
  /** The server, as `host:port`, `[v6]:port` or a socket path. */
  declare readonly server: string;
  /**
   * @param server - The server, as `host:port` or a socket path.
   * @param reason - What went wrong, in a few words.
   * @param options - The standard `cause`, usually the socket error.
   * @param advice - What to do about it; by default, to check that the server is up.
   */
  constructor(server: string, reason: string, options?: ErrorOptions, advice: string = CHECK_SERVER) {
    super(
      ConnectionError.code,
      `memcached at ${server}: ${reason}. ${advice} After a failed connect the client waits retryTimeoutMs before trying it again.`,
      server,
      options,
    );
  }
}

/**
 * No reply byte came from the server within `timeoutMs` while operations were
 * waiting, or the connect took longer than `connectTimeoutMs`. Every operation in
 * flight on that connection is rejected and the socket is closed.
 * Code `ERR_MEMCACHED_TIMEOUT`.
 *
 * @example
 * ```ts
 * import { TimeoutError } from '@clonepool/memcached';
 *
 * const error = new TimeoutError('localhost:11211', 'timeoutMs', 1000);
 * console.log(error.code);
 * // → ERR_MEMCACHED_TIMEOUT
 * ```
 */
export class TimeoutError extends MemcachedError {
  /** `ERR_MEMCACHED_TIMEOUT` */
  static readonly code = 'ERR_MEMCACHED_TIMEOUT';
  /** The server, as `host:port`, `[v6]:port` or a socket path. */
  declare readonly server: string;
  /**
   * @param server - The server that did not answer.
   * @param option - The option whose limit passed: `timeoutMs` or `connectTimeoutMs`.
   * @param ms - That limit.
   */
  constructor(server: string, option: 'timeoutMs' | 'connectTimeoutMs', ms: number) {
    super(
      TimeoutError.code,
      option === 'timeoutMs'
        ? `memcached at ${server} sent no reply within timeoutMs (${ms} ms); the operations waiting on this connection were rejected and it was closed. Raise timeoutMs if the server is just slow.`
        : `Connecting to memcached at ${server} took longer than connectTimeoutMs (${ms} ms). Check the address, or raise connectTimeoutMs.`,
      server,
    );
  }
}

/**
 * A multi-key command (`getMulti`, `setMulti`, `deleteMulti`) failed on one or
 * more servers of a client with several, and `removeFailed` is off. It waits
 * for every server's share to settle, then lists each failed server's cause:
 * `errors` holds them (as `AggregateError` does), each with its `server`. The
 * healthy servers' share was done: their writes and deletes happened. Set
 * `removeFailed` to get the healthy servers' results instead (see the
 * `partial` event). Code `ERR_MEMCACHED_SERVERS_FAILED`.
 *
 * @example
 * ```ts
 * import { ConnectionError, ServersFailedError } from '@clonepool/memcached';
 *
 * const cause = new ConnectionError('10.0.0.2:11211', 'the connection closed');
 * const error = new ServersFailedError('getMulti', 3, [cause.server], [cause]);
 * console.log(error.code, error.servers);
 * // → ERR_MEMCACHED_SERVERS_FAILED [ '10.0.0.2:11211' ]
 * ```
 */
export class ServersFailedError extends MemcachedError {
  /** `ERR_MEMCACHED_SERVERS_FAILED` */
  static readonly code = 'ERR_MEMCACHED_SERVERS_FAILED';
  /** The command: `getMulti`, `setMulti` or `deleteMulti`. */
  readonly command: string;
  /** The failed servers, as `host:port` or socket paths, index for index with `errors`. */
  readonly servers: readonly string[];
  /** Each failed server's cause (a `ConnectionError`, `TimeoutError`, `MemcachedServerError`, …), index for index with `servers`. */
  readonly errors: readonly Error[];
  /**
   * @param command - The multi-key command.
   * @param total - How many servers the client has.
   * @param servers - The failed servers.
   * @param errors - The cause of each, index for index.
   */
  constructor(command: string, total: number, servers: readonly string[], errors: readonly Error[]) {
    const causes = servers.map((server, i) => `${server} (${errors[i]?.message})`).join('; ');
    super(
      ServersFailedError.code,
      `${command} failed on ${errors.length} of ${total} memcached servers: ${causes}. The other servers' share was done; set removeFailed to get their results and have failed servers reported by the 'partial' event instead.`,
      undefined,
      { cause: errors[0] },
    );
    this.command = command;
    this.servers = servers;
    this.errors = errors;
  }
}

/**
 * The client was closed: operations issued after `close()` reject at once.
 * Code `ERR_CLIENT_CLOSED`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.close();
 * await client.get('k').catch((error) => console.log(error.code));
 * // → ERR_CLIENT_CLOSED
 * ```
 */
export class ClientClosedError extends MemcachedError {
  /** `ERR_CLIENT_CLOSED` */
  static readonly code = 'ERR_CLIENT_CLOSED';
  constructor() {
    super(ClientClosedError.code, 'This memcached client is closed; make a new one (or clone() an open one).');
  }
}

/**
 * A key is not a string or `Uint8Array`, is empty, is longer than 250 bytes in
 * UTF-8 with the `keyPrefix`, or holds a space or control character (which would
 * inject commands into the text protocol). Nothing was sent. Code `ERR_INVALID_KEY`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.get('two words').catch((error) => console.log(error.code));
 * await client.close();
 * // → ERR_INVALID_KEY
 * ```
 */
export class InvalidKeyError extends MemcachedError {
  /** `ERR_INVALID_KEY` */
  static readonly code = 'ERR_INVALID_KEY';
  /** @param reason - What is wrong with the key. */
  constructor(reason: string) {
    super(
      InvalidKeyError.code,
      `Invalid memcached key: ${reason}. Keys are 1 to 250 bytes of UTF-8 (keyPrefix included) without spaces or control characters; hash longer keys yourself.`,
    );
  }
}

/**
 * A value is larger than `maxValueBytes`: a value to write, once serialized
 * (before compression), and nothing was sent; or a compressed value read from
 * memcached, which inflates past it (inflating stopped there, so a zlib bomb
 * cannot take the process's memory) and the read was refused, with the
 * connection still in step. Code `ERR_VALUE_TOO_LARGE`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const server = process.env.MEMCACHED_SERVER ?? 'localhost:11211';
 * const small = new Client(server, { maxValueBytes: 1000, compressionThreshold: 100 });
 * // Compressed it would fit, but the limit is on the serialized size: no reader inflates more.
 * await small.set('doc:large', 'a'.repeat(5000)).catch((error) => console.log(error.code));
 * const large = new Client(server, { compressionThreshold: 100 });
 * await large.set('doc:large', 'a'.repeat(5000));
 * await small.get('doc:large').catch((error) => console.log(error.code));
 * await Promise.all([small.close(), large.close()]);
 * // → ERR_VALUE_TOO_LARGE
 * // → ERR_VALUE_TOO_LARGE
 * ```
 */
export class ValueTooLargeError extends MemcachedError {
  /** `ERR_VALUE_TOO_LARGE` */
  static readonly code = 'ERR_VALUE_TOO_LARGE';
  /**
   * @param bytes - The serialized size of a value to write; `undefined` for a
   *   compressed value read that inflates past the limit (its whole size is not
   *   known, as inflating stops there).
   * @param maxValueBytes - The limit it passed.
   */
  constructor(bytes: number | undefined, maxValueBytes: number) {
    super(
      ValueTooLargeError.code,
      bytes === undefined
        ? `A compressed value read from memcached inflates to more than maxValueBytes (${maxValueBytes}) bytes; inflating stopped there and the read was refused. Raise maxValueBytes if values this large are expected; otherwise the item is corrupt or a zlib bomb.`
        : `The value is ${bytes} bytes once serialized, more than maxValueBytes (${maxValueBytes}); the limit applies before compression, so that no client inflates more. Split the value, or raise maxValueBytes together with memcached's -I item size.`,
    );
  }
}

/**
 * A value cannot be stored: `undefined`, a function, a symbol, a non-finite
 * number, a string holding a lone surrogate (UTF-8 cannot carry it), an object
 * that is not plain (a `Map`, a class instance) or one JSON cannot serialize
 * (circular, holding a `bigint`), or for `append`/`prepend` anything but a
 * string or bytes; or a stored value could not be decoded (bad zlib data, bad
 * JSON). Code `ERR_INVALID_VALUE`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:fn', () => 1).catch((error) => console.log(error.code));
 * await client.close();
 * // → ERR_INVALID_VALUE
 * ```
 */
export class InvalidValueError extends MemcachedError {
  /** `ERR_INVALID_VALUE` */
  static readonly code = 'ERR_INVALID_VALUE';
  /**
   * @param reason - What is wrong with the value.
   * @param options - The standard `cause`.
   */
  constructor(reason: string, options?: ErrorOptions) {
    super(InvalidValueError.code, reason, undefined, options);
  }
}

/**
 * `append` or `prepend` was called on a client whose `compressionThreshold` is
 * above 0. memcached glues the sent bytes onto the stored data and keeps the
 * item's flags, so bytes appended to an item this client compressed would
 * corrupt it, and the client cannot know how an item is stored without reading
 * it. Nothing was sent. Append with a client whose `compressionThreshold` is 0
 * (only to keys that no client compresses), or read the value, change it, and
 * write it back with `cas`. Code `ERR_APPEND_UNSUPPORTED`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const server = process.env.MEMCACHED_SERVER ?? 'localhost:11211';
 * const compressing = new Client(server, { compressionThreshold: 1024 });
 * await compressing.append('doc:log', 'line\n').catch((error) => console.log(error.code));
 * // A client that never compresses appends; keep it for keys you append to.
 * const log = new Client(server);
 * await log.set('doc:log', 'first\n');
 * console.log(await log.append('doc:log', 'second\n'));
 * await Promise.all([compressing.close(), log.close()]);
 * // → ERR_APPEND_UNSUPPORTED
 * // → true
 * ```
 */
export class AppendUnsupportedError extends MemcachedError {
  /** `ERR_APPEND_UNSUPPORTED` */
  static readonly code = 'ERR_APPEND_UNSUPPORTED';
  /** The command that was refused: `append` or `prepend`. */
  readonly command: 'append' | 'prepend';
  /**
   * @param command - `append` or `prepend`.
   * @param compressionThreshold - The client's threshold, above 0.
   */
  constructor(command: 'append' | 'prepend', compressionThreshold: number) {
    super(
      AppendUnsupportedError.code,
      `${command} is refused on a client with compressionThreshold (${compressionThreshold}): memcached adds the bytes to the stored data as they are and keeps the item's flags, so on an item this client compressed they would corrupt it, and the client cannot tell without reading the item. Use a client with compressionThreshold 0 for keys you ${command} to, or read the value and write it back with cas.`,
    );
    this.command = command;
  }
}

/**
 * The server sent bytes that do not fit the reply the client waits for (a
 * desynchronised stream, a proxy or a non-memcached service on that port). The
 * connection is closed and every operation in flight on it is rejected.
 * Code `ERR_MEMCACHED_PROTOCOL`.
 *
 * @example
 * ```ts
 * import { ProtocolError } from '@clonepool/memcached';
 *
 * console.log(new ProtocolError('localhost:11211', 'unexpected reply "HELLO"').code);
 * // → ERR_MEMCACHED_PROTOCOL
 * ```
 */
export class ProtocolError extends MemcachedError {
  /** `ERR_MEMCACHED_PROTOCOL` */
  static readonly code = 'ERR_MEMCACHED_PROTOCOL';
  /** The server, as `host:port`, `[v6]:port` or a socket path. */
  declare readonly server: string;
  /**
   * @param server - The server whose reply was malformed.
   * @param reason - What was wrong.
   */
  constructor(server: string, reason: string) {
    super(
      ProtocolError.code,
      `memcached at ${server} sent a malformed reply: ${reason}. The connection was closed and its operations rejected; check that the address is a memcached (text protocol) server.`,
      server,
    );
  }
}

/**
 * memcached's ASCII authentication (`-Y`) refused `username`/`password`, or the
 * server wants authentication and none was configured. Every operation waiting on
 * that connection is rejected. Code `ERR_MEMCACHED_AUTH`.
 *
 * @example
 * ```ts
 * import { AuthenticationError } from '@clonepool/memcached';
 *
 * console.log(new AuthenticationError('localhost:11211', 'authentication failure').code);
 * // → ERR_MEMCACHED_AUTH
 * ```
 */
export class AuthenticationError extends MemcachedError {
  /** `ERR_MEMCACHED_AUTH` */
  static readonly code = 'ERR_MEMCACHED_AUTH';
  /** The server, as `host:port`, `[v6]:port` or a socket path. */
  declare readonly server: string;
  /**
   * @param server - The server that refused.
   * @param reply - What it replied.
   */
  constructor(server: string, reply: string) {
    super(
      AuthenticationError.code,
      `memcached at ${server} refused authentication (${reply}). Check the username and password options against the server's -Y auth file.`,
      server,
    );
  }
}

/**
 * A server spec could not be parsed. Code `ERR_INVALID_SERVER`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * try {
 *   new Client('localhost:port');
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * // → ERR_INVALID_SERVER
 * ```
 */
export class InvalidServerError extends MemcachedError {
  /** `ERR_INVALID_SERVER` */
  static readonly code = 'ERR_INVALID_SERVER';
  /**
   * @param spec - The spec as given.
   * @param reason - What is wrong with it.
   */
  constructor(spec: unknown, reason: string) {
    super(
      InvalidServerError.code,
      `Invalid memcached server ${typeof spec === 'string' ? JSON.stringify(hideCredentials(spec)) : String(spec)}: ${reason}. Write "host", "host:port", "host:port:weight", "[::1]:port", "memcached://host:port", "/path/to/memcached.sock" or "unix:///path/to/memcached.sock".`,
    );
  }
}

/**
 * `getOrSet` found nothing to serve while another caller refreshed the key, and
 * no value came within `waitMs`. The refresher may be slow (raise `waitMs`, or
 * give `grace` so readers are served the old value meanwhile) or gone: then
 * another caller takes the refresh over once `lockTtl` has passed.
 * Code `ERR_MEMCACHED_WAIT_TIMEOUT`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.delete('doc:slow-report');
 * const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('report'), 300));
 * // The first call wins the refresh and runs the factory; the second, from a clone
 * // (as another process would), waits for it at most 50 ms.
 * const winner = client.getOrSet('doc:slow-report', slow, { ttl: 60 });
 * await new Promise((resolve) => setTimeout(resolve, 20));
 * const other = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await other.getOrSet('doc:slow-report', slow, { ttl: 60, waitMs: 50 }).catch((error) => console.log(error.code));
 * console.log(await winner);
 * await Promise.all([client.close(), other.close()]);
 * // → ERR_MEMCACHED_WAIT_TIMEOUT
 * // → report
 * ```
 */
export class WaitTimeoutError extends MemcachedError {
  /** `ERR_MEMCACHED_WAIT_TIMEOUT` */
  static readonly code = 'ERR_MEMCACHED_WAIT_TIMEOUT';
  /**
   * @param server - The key's server.
   * @param waitMs - How long the caller waited.
   * @param lockTtl - The seconds after which a refresher that died is taken over.
   */
  constructor(server: string, waitMs: number, lockTtl: number) {
    super(
      WaitTimeoutError.code,
      `getOrSet waited waitMs (${waitMs} ms) for another caller's refresh of the key on memcached at ${server}, and had no value to serve. Raise waitMs for a slow factory, or give grace so that readers are served the old value while one caller refreshes; if the refresher died, another caller takes over after lockTtl (${lockTtl} s).`,
      server,
    );
  }
}

/**
 * An operation's `signal` aborted it before it finished; `cause` is the
 * signal's reason. Code `ERR_MEMCACHED_ABORTED`.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * const signal = AbortSignal.abort('request closed');
 * await client.getOrSet('doc:aborted', () => 1, { ttl: 60, signal }).catch((error) => console.log(error.code, error.cause));
 * await client.close();
 * // → ERR_MEMCACHED_ABORTED request closed
 * ```
 */
export class OperationAbortedError extends MemcachedError {
  /** `ERR_MEMCACHED_ABORTED` */
  static readonly code = 'ERR_MEMCACHED_ABORTED';
  /** @param reason - The signal's reason. */
  constructor(reason: unknown) {
    super(OperationAbortedError.code, 'The operation was aborted by its signal.', undefined, { cause: reason });
  }
}

/**
 * `incr` or `decr` made a counter larger than `Number.MAX_SAFE_INTEGER` (2^53−1), which a
 * `number` cannot hold exactly, and the call did not ask for a `bigint`. The command did
 * take effect on the server: the counter's exact new value is this error's `value`. Pass
 * `{ bigint: true }` to get every result as a `bigint`.
 * Code `ERR_MEMCACHED_COUNTER_UNSAFE`.
 *
 * @example
 * ```ts
 * import { Client, CounterTooLargeError } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:big-counter', Number.MAX_SAFE_INTEGER);
 * try {
 *   await client.incr('doc:big-counter');
 * } catch (error) {
 *   if (error instanceof CounterTooLargeError) console.log(error.code, error.value);
 * }
 * console.log(await client.incr('doc:big-counter', 1, { bigint: true }));
 * await client.close();
 * // → ERR_MEMCACHED_COUNTER_UNSAFE 9007199254740992n
 * // → 9007199254740993n
 * ```
 */
export class CounterTooLargeError extends MemcachedError {
  /** `ERR_MEMCACHED_COUNTER_UNSAFE` */
  static readonly code = 'ERR_MEMCACHED_COUNTER_UNSAFE';
  /** The counter's new value, exact: the server holds it now. */
  readonly value: bigint;
  /**
   * @param value - The counter's new value.
   * @param server - The server that answered.
   */
  constructor(value: bigint, server: string) {
    super(
      CounterTooLargeError.code,
      `The counter's new value ${value} is above Number.MAX_SAFE_INTEGER (2^53-1), so a number cannot hold it exactly. The incr/decr has already happened on the server (at ${server}); the exact new value is this error's value property (a bigint). Pass { bigint: true } to incr() and decr() to get bigints.`,
      server,
    );
    this.value = value;
  }
}

/** A server spec with the credentials of a URL (`memcached://user:secret@host`) hidden, for a message. */
function hideCredentials(spec: string): string {
  return spec.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@');
}
