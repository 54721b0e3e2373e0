import type { AsyncResource } from 'node:async_hooks';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { AUTH_PROBE, CommandWriter } from './commands.js';
import {
  AuthenticationError,
  ConnectionError,
  MemcachedClientError,
  MemcachedServerError,
  ProtocolError,
  TimeoutError,
} from './errors.js';
import type { ParsedOptions } from './options.js';
import { MalformedReplyError, ReplyParser, type ReplySink } from './parser.js';
import { Ring } from './ring.js';
import type { ServerAddress } from './servers.js';
import { decodeValue } from './values.js';

/** What an operation waits for; decides how reply lines are read. */
export const Kind: Readonly<
  Record<
    'GET' | 'GETS' | 'MULTI' | 'STORE' | 'DELETE' | 'ARITH' | 'TOUCH' | 'OK' | 'STATS' | 'VERSION' | 'AUTH' | 'PROBE',
    number
  >
> = Object.freeze({
  /** `get`/`gat`: one value or a miss, then END. */
  GET: 0,
  /** `gets`/`gats`: as GET with the CAS token. */
  GETS: 1,
  /** A multi-get's share on one server: many values, then END. */
  MULTI: 2,
  /** Store commands: STORED, or NOT_STORED/EXISTS/NOT_FOUND. */
  STORE: 3,
  DELETE: 4,
  /** `incr`/`decr`: a number, or NOT_FOUND. */
  ARITH: 5,
  TOUCH: 6,
  /** `flush_all`, `verbosity`: OK. */
  OK: 7,
  STATS: 8,
  VERSION: 9,
  /** The ASCII authentication `set` sent first on a connection. */
  AUTH: 10,
  /** The `version` sent before authenticating, to learn whether the server wants it. */
  PROBE: 11,
});

/** Called for connection life events; the client turns them into its events. */
export interface ConnectionEvents {
  connect(connection: Connection, reconnect: boolean): void;
  /**
   * The socket has kept answering for longer than `timeoutMs`: the server works, and failover
   * (which counts failures in a row) may forget its past failures. Once per socket.
   */
  proven(connection: Connection): void;
  /**
   * The server failed to connect, timed out (it is then left alone for
   * `retryTimeoutMs`), or dropped the connection with operations in flight.
   */
  failed(connection: Connection, error: Error): void;
  disconnect(server: string, error: Error | undefined): void;
  error(error: Error): void;
}

/**
 * One command waiting for its reply. A plain class with a fixed shape so V8
 * keeps one hidden class for all of them; it is dropped from the ring when
 * settled, so nothing (no closure, no buffer) outlives the reply.
 */
export class Op {
  readonly kind: number;
  resolve: (value: unknown) => void = noop;
  reject: (error: Error) => void = noop;
  /** The result so far: the value, the stats object, the hits map. */
  result: unknown = undefined;
  /** Whether a VALUE came for a single-key retrieval. */
  hit = false;
  /** Flags of the VALUE being read. */
  flags = 0;
  cas: bigint | undefined = undefined;
  /** A decode failure, reported when the reply ends so the stream stays in step. */
  error: Error | undefined = undefined;
  /** For MULTI: the wire keys (latin1, prefixed) of the whole multi-get on this server. */
  wire: readonly string[] | undefined = undefined;
  /** For MULTI: the keys as the caller gave them, index for index with `wire`. */
  callerKeys: readonly unknown[] | undefined = undefined;
  /** For MULTI: this op's line asked for `wire[first..last)`. */
  first = 0;
  last = 0;
  /** For MULTI: where the search for the next VALUE's key starts. */
  cursor = 0;
  /** For MULTI: the caller's key of the VALUE being read. */
  current: unknown = undefined;

  constructor(kind: number) {
    this.kind = kind;
  }
}

function noop(): void {}

const Line = {
  END: Buffer.from('END'),
  STORED: Buffer.from('STORED'),
  NOT_STORED: Buffer.from('NOT_STORED'),
  EXISTS: Buffer.from('EXISTS'),
  NOT_FOUND: Buffer.from('NOT_FOUND'),
  DELETED: Buffer.from('DELETED'),
  TOUCHED: Buffer.from('TOUCHED'),
  OK: Buffer.from('OK'),
  RESET: Buffer.from('RESET'),
  ERROR: Buffer.from('ERROR'),
  STAT: Buffer.from('STAT '),
  VERSION: Buffer.from('VERSION '),
  SERVER_ERROR: Buffer.from('SERVER_ERROR'),
  CLIENT_ERROR: Buffer.from('CLIENT_ERROR'),
};

const UNAUTHENTICATED = Buffer.from('CLIENT_ERROR unauthenticated');

function is(src: Buffer, start: number, end: number, literal: Buffer): boolean {
  if (end - start !== literal.length) return false;
  for (let i = 0; i < literal.length; i++) if (src[start + i] !== literal[i]) return false;
  return true;
}

function startsWith(src: Buffer, start: number, end: number, literal: Buffer): boolean {
  if (end - start < literal.length) return false;
  for (let i = 0; i < literal.length; i++) if (src[start + i] !== literal[i]) return false;
  return true;
}

const State = { IDLE: 0, CONNECTING: 1, CONNECTED: 2, CLOSED: 3 } as const;

/**
 * One socket to one server, with many commands in flight (pipelining).
 *
 * - Commands are encoded into a {@link CommandWriter} and leave in one socket
 *   write per tick (flushed from `setImmediate`, which runs after every promise
 *   continuation of the tick has queued its command).
 * - Replies come in order; the ring of waiting {@link Op}s is matched strictly
 *   in order. A reply that fits no waiting op closes the connection and rejects
 *   everything in flight: a desynchronised stream is never read on.
 * - One deadline timer per connection, not per op: it fires at most every
 *   `timeoutMs` while replies are owed and fails the connection if no reply byte
 *   arrived for `timeoutMs`.
 * - The socket is made lazily by the first command, once for all the commands
 *   that arrive while it connects. After a failed connect or a timeout the server
 *   is left alone for `retryTimeoutMs`; a connection the server closed is made
 *   again by the next command.
 * - Sockets and timers are made in the owning client's async context (its
 *   `AsyncResource`), never in the caller's: a handle carries the context it was
 *   made in as its async store, so a socket made lazily inside a request would keep
 *   that request's context (and a `MappedPool` scope's client) alive for as long
 *   as the connection lives.
 */
export class Connection implements ReplySink {
  readonly server: ServerAddress;
  /** The server's index in the client's server list. */
  readonly index: number;
  readonly #options: ParsedOptions;
  readonly #events: ConnectionEvents;
  /** The owning client's async context, where every socket and timer is made. */
  readonly #owner: AsyncResource;
  readonly #writer = new CommandWriter();
  readonly #parser = new ReplyParser(this);
  readonly #waiting = new Ring<Op>();
  #state: number = State.IDLE;
  #socket: Socket | null = null;
  #flushScheduled = false;
  #deadline: NodeJS.Timeout | null = null;
  #connectTimer: NodeJS.Timeout | null = null;
  /** When reply bytes last arrived, or when the ring went from empty to busy. */
  #progressAt = 0;
  /** Before this time (ms since epoch) the server is considered down. */
  #retryAt = 0;
  #everConnected = false;
  /** When the first reply bytes came on this socket; 0 before. */
  #firstReplyAt = 0;
  /** Whether this socket has kept answering for longer than `timeoutMs` (see `proven`). */
  #proven = false;
  /** Commands wait unsent until the authentication probe has been answered. */
  #holdWrites = false;
  /** The ops in the ring were queued on an idle connection and have not been written yet. */
  #idleBurst = false;
  #closing: (() => void) | null = null;
  #closed: Promise<void> | null = null;

  constructor(
    server: ServerAddress,
    index: number,
    options: ParsedOptions,
    events: ConnectionEvents,
    owner: AsyncResource,
  ) {
    this.server = server;
    this.index = index;
    this.#options = options;
    this.#events = events;
    this.#owner = owner;
  }

  /**
   * An unref'd timer made in the owner's context. Timers are made at most once per
   * connect, burst or `timeoutMs`, so the scope switch stays off the per-command path.
   */
  #timer(callback: () => void, ms: number): NodeJS.Timeout {
    const timer: NodeJS.Timeout = this.#owner.runInAsyncScope(setTimeout, null, callback, ms);
    return timer.unref();
  }

  /** The writer to encode a command into, after {@link ready} said yes. */
  get writer(): CommandWriter {
    return this.#writer;
  }

  /**
   * Returns an error when a command cannot be queued now (closed, or the server
   * failed less than `retryTimeoutMs` ago), else starts connecting if needed and
   * returns `undefined`. Call it before encoding, so nothing is half-written.
   */
  ready(): Error | undefined {
    const state = this.#state;
    if (state === State.CONNECTED || state === State.CONNECTING) return undefined;
    if (state === State.CLOSED) return new ConnectionError(this.server.label, 'the connection is closed');
    if (this.#retryAt > Date.now()) {
      return new ConnectionError(
        this.server.label,
        `the server failed less than retryTimeoutMs (${this.#options.retryTimeoutMs} ms) ago and is left alone until then`,
      );
    }
    this.#connect();
    return undefined;
  }

  /** Queues an op whose command was just encoded; returns its promise. */
  send(op: Op): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      op.resolve = resolve;
      op.reject = reject;
    });
    this.#push(op);
    return promise;
  }

  /** Schedules the write of commands that expect no reply (`noreply`). */
  sendNoReply(): void {
    this.#scheduleFlush();
  }

  #push(op: Op): void {
    const waiting = this.#waiting;
    if (waiting.size === 0) {
      this.#idleBurst = true;
      this.#progressAt = Date.now();
      if (this.#state === State.CONNECTED) {
        this.#socket!.ref();
        this.#armDeadline();
      }
    }
    waiting.push(op);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Made in the caller's context, unlike sockets and timers: it runs on this turn of the loop and
    // is gone, so it cannot keep a context alive, and the scope switch would cost every tick.
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#state !== State.CONNECTED || this.#holdWrites) return; // the connect handler flushes
    const data = this.#writer.take();
    if (data === undefined) return;
    // A burst on an idle connection starts its deadline when it is written, not when the first op was
    // queued: encoding a big burst must not eat its own timeout. On a busy connection only reply bytes
    // move the deadline, so a stalled server that still accepts writes is caught.
    if (this.#idleBurst) {
      this.#idleBurst = false;
      this.#progressAt = Date.now();
    }
    const socket = this.#socket!;
    if (Array.isArray(data)) {
      socket.cork();
      for (const piece of data) socket.write(piece);
      socket.uncork();
    } else {
      socket.write(data);
    }
    // Only noreply commands: the burst is over once written.
    if (this.#waiting.size === 0) this.#writer.trim();
  };

  #connect(): void {
    this.#owner.runInAsyncScope(this.#open, this);
  }

  /** Makes the socket and its connect timer; called in the owner's context. */
  #open(): void {
    const { server } = this;
    const options = this.#options;
    this.#state = State.CONNECTING;
    let socket: Socket;
    if (options.tls !== undefined) {
      const target = server.path !== undefined ? { path: server.path } : { host: server.host, port: server.port };
      const servername =
        options.tls.servername ?? (server.path === undefined && isIP(server.host) === 0 ? server.host : undefined);
      socket = tlsConnect({ ...options.tls, ...target, ...(servername === undefined ? {} : { servername }) });
    } else {
      socket = server.path !== undefined ? netConnect(server.path) : netConnect(server.port, server.host);
    }
    this.#socket = socket;
    this.#connectTimer = this.#timer(() => {
      if (this.#socket === socket) {
        this.#teardown(new TimeoutError(server.label, 'connectTimeoutMs', options.connectTimeoutMs), true);
      }
    }, options.connectTimeoutMs);
    socket.once(options.tls !== undefined ? 'secureConnect' : 'connect', () => {
      if (this.#socket !== socket) return;
      this.#onConnect(socket as Socket | TLSSocket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      const now = Date.now();
      this.#progressAt = now;
      if (!this.#proven) this.#prove(now);
      try {
        this.#parser.feed(chunk);
      } catch (error) {
        this.#teardown(this.#protocolError(error), false);
      }
    });
    let socketError: Error | undefined;
    socket.on('error', (error) => {
      socketError = error;
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      const connecting = this.#state === State.CONNECTING;
      const reason = connecting
        ? `could not connect${socketError ? ` (${(socketError as NodeJS.ErrnoException).code ?? socketError.message})` : ''}`
        : 'the connection closed';
      this.#teardown(
        new ConnectionError(server.label, reason, socketError === undefined ? undefined : { cause: socketError }),
        connecting,
      );
    });
  }

  #onConnect(socket: Socket): void {
    clearTimeout(this.#connectTimer!);
    this.#connectTimer = null;
    const options = this.#options;
    if (options.tcpNoDelay) socket.setNoDelay(true);
    if (options.keepAlive) socket.setKeepAlive(true);
    this.#state = State.CONNECTED;
    this.#firstReplyAt = 0;
    this.#proven = false;
    const reconnect = this.#everConnected;
    this.#everConnected = true;
    if (options.auth !== undefined) {
      // Ask first whether the server wants authentication: a server without -Y would take the auth
      // `set` as a plain set and store the credentials in the cache for anyone to read. The probe goes
      // first on the wire, so its op goes first in the ring; commands wait until it is answered.
      // Its reject stays a no-op: only a teardown rejects it, and that teardown already counts the failure
      // (tearing down again from here emitted the error and counted the failure twice).
      const op = new Op(Kind.PROBE);
      this.#waiting.unshift(op);
      this.#holdWrites = true;
      socket.write(AUTH_PROBE);
    }
    this.#progressAt = Date.now();
    if (this.#waiting.size > 0) this.#armDeadline();
    else socket.unref();
    this.#flush();
    this.#events.connect(this, reconnect);
    // close() came while connecting: what was queued is written now; with nothing owed, end here,
    // else the last reply does (#settled).
    if (this.#closing !== null && this.#waiting.size === 0) this.#end();
  }

  /**
   * Reply bytes came at `now` on a socket not yet proven. One reply proves little: a server
   * that answers the first command of every new connection and then stalls would otherwise
   * end its failure streak on each reconnect and never be ejected. A socket proves the
   * server works once replies have kept coming for longer than one `timeoutMs` (a reply
   * more than `timeoutMs` after the first), which no stalled connection does, since a
   * stall fails it by `timeoutMs`. A server used so rarely that a connection answers once
   * keeps its streak until one does.
   */
  #prove(now: number): void {
    if (this.#firstReplyAt === 0) {
      this.#firstReplyAt = now;
    } else if (now - this.#firstReplyAt > this.#options.timeoutMs) {
      this.#proven = true;
      this.#events.proven(this);
    }
  }

  #armDeadline(): void {
    if (this.#deadline !== null) return;
    this.#deadline = this.#timer(this.#onDeadline, this.#options.timeoutMs);
  }

  readonly #onDeadline = (): void => {
    this.#deadline = null;
    if (this.#waiting.size === 0 || this.#state !== State.CONNECTED) return;
    const timeoutMs = this.#options.timeoutMs;
    const quiet = Date.now() - this.#progressAt;
    if (quiet >= timeoutMs) {
      // If the event loop was blocked, replies may sit unread in the socket; the poll phase reads them
      // before setImmediate callbacks run, so judge only after it.
      setImmediate(this.#confirmTimeout);
      return;
    }
    this.#deadline = this.#timer(this.#onDeadline, timeoutMs - quiet);
  };

  readonly #confirmTimeout = (): void => {
    if (this.#waiting.size === 0 || this.#state !== State.CONNECTED) return;
    const timeoutMs = this.#options.timeoutMs;
    const quiet = Date.now() - this.#progressAt;
    if (quiet >= timeoutMs) this.#teardown(new TimeoutError(this.server.label, 'timeoutMs', timeoutMs), true);
    else this.#armDeadline();
  };

  #protocolError(error: unknown): Error {
    if (error instanceof MalformedReplyError) return new ProtocolError(this.server.label, error.message);
    return error instanceof Error ? error : new ProtocolError(this.server.label, String(error));
  }

  /**
   * Closes the socket and rejects every waiting op with `error`. With
   * `markDown`, the server is left alone for `retryTimeoutMs`.
   */
  #teardown(error: Error, markDown: boolean): void {
    const socket = this.#socket;
    const wasConnected = this.#state === State.CONNECTED;
    this.#socket = null;
    if (this.#state !== State.CLOSED) this.#state = this.#closing !== null ? State.CLOSED : State.IDLE;
    if (this.#connectTimer !== null) clearTimeout(this.#connectTimer);
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#connectTimer = null;
    this.#deadline = null;
    if (markDown) this.#retryAt = Date.now() + this.#options.retryTimeoutMs;
    this.#parser.reset();
    this.#writer.clear();
    this.#holdWrites = false;
    socket?.destroy();
    const waiting = this.#waiting;
    const hadWork = waiting.size > 0;
    for (let op = waiting.shift(); op !== undefined; op = waiting.shift()) op.reject(error);
    if (wasConnected) this.#events.disconnect(this.server.label, hadWork || markDown ? error : undefined);
    if (hadWork || markDown || !wasConnected) this.#events.error(error);
    // A refused connect, a timeout, or a reset that cut operations off: failover counts each.
    if (markDown || hadWork) this.#events.failed(this, error);
    this.#finishClose();
  }

  /**
   * Lets the ops in flight finish (or fail by timeout), then closes the socket.
   * Idempotent; later commands are refused by the client before they get here.
   */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#closed = new Promise<void>((resolve) => {
      this.#closing = resolve;
    });
    if (this.#socket === null) {
      this.#state = State.CLOSED;
      this.#finishClose();
    } else if (this.#state === State.CONNECTING) {
      // Commands were accepted (noreply ones already resolved true): #onConnect writes them and then
      // ends the socket; a failed connect tears down and rejects what waits for a reply.
    } else if (this.#waiting.size === 0) {
      this.#end();
    } // else the last reply ends it (#settled), or a timeout/teardown does
    return this.#closed;
  }

  #end(): void {
    const socket = this.#socket;
    if (socket === null) {
      this.#finishClose();
      return;
    }
    this.#flush();
    this.#state = State.CLOSED;
    this.#socket = null;
    // Nothing is owed: the deadline of the last burst may still be armed.
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#deadline = null;
    // A peer that never acknowledges the FIN must not hold close() open; once closed, nothing is left armed.
    const guard = this.#timer(() => socket.destroy(), this.#options.timeoutMs);
    socket.once('close', () => {
      clearTimeout(guard);
      this.#finishClose();
    });
    // An idle socket is unref'd; hold the process until the close completes so close() resolves.
    socket.ref();
    socket.end();
  }

  #finishClose(): void {
    if (this.#closing === null || this.#socket !== null) return;
    const resolve = this.#closing;
    this.#closing = () => {};
    this.#state = State.CLOSED;
    resolve();
  }

  /** After an op leaves the ring: when idle, drop the socket's hold on the process and a burst's buffer, finish a pending close. */
  #settled(): void {
    if (this.#waiting.size !== 0) return;
    // Every reply is in: a buffer grown for a burst can go.
    this.#writer.trim();
    if (this.#closing !== null) this.#end();
    else this.#socket?.unref();
  }

  // ReplySink: called synchronously by the parser.

  onLine(src: Buffer, start: number, end: number): void {
    const op = this.#waiting.peek();
    if (op === undefined)
      throw new MalformedReplyError(`a reply ${quote(src, start, end)} came with no command waiting`);
    let value: unknown;
    switch (op.kind) {
      case Kind.GET:
      case Kind.GETS:
      case Kind.MULTI:
        if (!is(src, start, end, Line.END)) {
          this.#unexpected(op, src, start, end);
          return;
        }
        this.#waiting.shift();
        if (op.error !== undefined) op.reject(op.error);
        else op.resolve(op.result);
        {
          this.#settled();
          return;
        }
      case Kind.STORE:
        if (is(src, start, end, Line.STORED)) value = true;
        else if (
          is(src, start, end, Line.NOT_STORED) ||
          is(src, start, end, Line.EXISTS) ||
          is(src, start, end, Line.NOT_FOUND)
        )
          value = false;
        else {
          this.#unexpected(op, src, start, end);
          return;
        }
        break;
      case Kind.DELETE:
        if (is(src, start, end, Line.DELETED)) value = true;
        else if (is(src, start, end, Line.NOT_FOUND)) value = false;
        else {
          this.#unexpected(op, src, start, end);
          return;
        }
        break;
      case Kind.ARITH: {
        const c = src[start]!;
        if (c >= 0x30 && c <= 0x39) {
          let e = end;
          while (e > start && src[e - 1] === 0x20) e--;
          const text = src.toString('latin1', start, e);
          if (!/^\d+$/.test(text)) {
            this.#unexpected(op, src, start, end);
            return;
          }
          value = BigInt(text);
        } else if (is(src, start, end, Line.NOT_FOUND)) value = undefined;
        else {
          this.#unexpected(op, src, start, end);
          return;
        }
        break;
      }
      case Kind.TOUCH:
        if (is(src, start, end, Line.TOUCHED)) value = true;
        else if (is(src, start, end, Line.NOT_FOUND)) value = false;
        else {
          this.#unexpected(op, src, start, end);
          return;
        }
        break;
      case Kind.OK:
        if (!is(src, start, end, Line.OK)) {
          this.#unexpected(op, src, start, end);
          return;
        }
        break;
      case Kind.STATS: {
        if (startsWith(src, start, end, Line.STAT)) {
          const text = src.toString('utf8', start + 5, end);
          const space = text.indexOf(' ');
          op.result ??= Object.create(null);
          const stats = op.result as Record<string, string>;
          if (space === -1) stats[text] = '';
          else stats[text.slice(0, space)] = text.slice(space + 1);
          return;
        }
        if (!is(src, start, end, Line.END) && !is(src, start, end, Line.RESET) && !is(src, start, end, Line.OK)) {
          // Other sub-commands (`stats cachedump`, `stats detail dump`) send their own lines; keep them whole.
          if (this.#isError(src, start, end)) {
            this.#unexpected(op, src, start, end);
            return;
          }
          op.result ??= Object.create(null);
          const stats = op.result as Record<string, string>;
          stats[src.toString('utf8', start, end)] = '';
          return;
        }
        value = op.result ?? Object.create(null);
        break;
      }
      case Kind.VERSION:
        if (!startsWith(src, start, end, Line.VERSION)) {
          this.#unexpected(op, src, start, end);
          return;
        }
        value = src.toString('latin1', start + 8, end);
        break;
      case Kind.AUTH:
        if (!is(src, start, end, Line.STORED)) {
          this.#waiting.shift();
          throw new AuthenticationError(this.server.label, src.toString('latin1', start, end));
        }
        break;
      case Kind.PROBE: {
        this.#waiting.shift();
        this.#holdWrites = false;
        const socket = this.#socket!;
        if (is(src, start, end, UNAUTHENTICATED)) {
          this.#waiting.unshift(new Op(Kind.AUTH));
          socket.write(this.#options.auth!.bytes());
        } else if (!startsWith(src, start, end, Line.VERSION)) {
          throw new MalformedReplyError(`unexpected reply ${quote(src, start, end)} to version`);
        }
        this.#flush();
        this.#settled();
        return;
      }
      default:
        throw new MalformedReplyError(`unknown op kind ${op.kind}`);
    }
    this.#waiting.shift();
    op.resolve(value);
    this.#settled();
  }

  #isError(src: Buffer, start: number, end: number): boolean {
    return (
      is(src, start, end, Line.ERROR) ||
      startsWith(src, start, end, Line.SERVER_ERROR) ||
      startsWith(src, start, end, Line.CLIENT_ERROR)
    );
  }

  /** A line that is not the op's success reply: an error reply rejects just the op; anything else is a desync. */
  #unexpected(op: Op, src: Buffer, start: number, end: number): void {
    const label = this.server.label;
    let error: Error;
    if (startsWith(src, start, end, Line.SERVER_ERROR)) {
      error = new MemcachedServerError(src.toString('latin1', start + 13, end), label);
    } else if (startsWith(src, start, end, Line.CLIENT_ERROR)) {
      const text = src.toString('latin1', start, end);
      error =
        text === 'CLIENT_ERROR unauthenticated'
          ? new AuthenticationError(label, text)
          : new MemcachedClientError(text, label);
    } else if (is(src, start, end, Line.ERROR)) {
      error = new MemcachedClientError('ERROR (the server does not know the command)', label);
    } else {
      throw new MalformedReplyError(`unexpected reply ${quote(src, start, end)}`);
    }
    this.#waiting.shift();
    op.reject(error);
    this.#settled();
  }

  onValueHeader(src: Buffer, keyStart: number, keyEnd: number, flags: number, casStart: number, casEnd: number): void {
    const op = this.#waiting.peek();
    if (op === undefined || op.kind > Kind.MULTI) {
      throw new MalformedReplyError('a VALUE came for a command that retrieves nothing');
    }
    if (op.kind === Kind.MULTI) {
      // memcached answers the keys of a line in the order asked (misses left out), so the next hit is
      // found by walking forward from the last one, comparing bytes in place: no key string, no hashing.
      // Replies in another order (some proxy) still match, by a search of the whole line.
      const wire = op.wire!;
      const length = keyEnd - keyStart;
      let i = op.cursor;
      while (i < op.last && !sameKey(src, keyStart, length, wire[i]!)) i++;
      if (i === op.last) {
        for (i = op.first; i < op.last && !sameKey(src, keyStart, length, wire[i]!); i++);
        if (i === op.last) throw new MalformedReplyError('a VALUE came for a key that was not asked for');
      } else {
        op.cursor = i + 1;
      }
      op.current = op.callerKeys![i];
    } else {
      if (op.hit) throw new MalformedReplyError('two VALUEs came for one key');
      op.hit = true;
    }
    op.flags = flags;
    if (op.kind === Kind.GETS) {
      if (casStart < 0) throw new MalformedReplyError('a VALUE for gets has no CAS');
      op.cas = BigInt(src.toString('latin1', casStart, casEnd));
    }
  }

  onValue(src: Buffer, start: number, end: number, owned: boolean): void {
    const op = this.#waiting.peek()!;
    let value: unknown;
    try {
      value = decodeValue(op.flags, src, start, end, owned, this.#options.maxValueBytes);
    } catch (error) {
      op.error ??= error as Error;
      return;
    }
    if (op.kind === Kind.MULTI) (op.result as Map<unknown, unknown>).set(op.current, value);
    else if (op.kind === Kind.GETS) op.result = { value, cas: op.cas };
    else op.result = value;
  }
}

function sameKey(src: Buffer, start: number, length: number, key: string): boolean {
  if (key.length !== length) return false;
  for (let i = 0; i < length; i++) if (src[start + i] !== key.charCodeAt(i)) return false;
  return true;
}

function quote(src: Buffer, start: number, end: number): string {
  return JSON.stringify(src.toString('latin1', start, Math.min(end, start + 60)));
}
