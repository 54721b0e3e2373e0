import type { AsyncResource } from 'node:async_hooks';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AUTH_PROBE, CommandWriter } from './commands.js';
import { ConnectionError, MalformedReplyError, ProtocolError, TimeoutError } from './errors.js';
import type { Failover } from './failover.js';
import { MAX_CALLS_PER_LINE, MergedGets, type RetrievalKind } from './merged-gets.js';
import { Op, type WaitingOp } from './ops.js';
import type { ParsedOptions } from './options.js';
import { ReplyParser } from './parser.js';
import { Replies } from './replies.js';
import type { ServerCounters } from './server-stats.js';
import type { ServerAddress } from './servers.js';
import { openSocket } from './socket.js';
import {
  ANSWERED_WITH_TLS,
  type Failure,
  isTlsRecord,
  plainClosedUnanswered,
  tlsConnectFailure,
} from './tls-failures.js';
import type { Member } from './topology.js';

/**
 * memcached closes a connection whose first 2048 unread bytes hold no line end unless they
 * start a `get` or `gets`: a merged `gat`/`gats` line stays under that.
 */
const MAX_TOUCH_LINE_BYTES = 2000;

/** What the connections of one client share: how many of them owe replies. */
export interface Traffic {
  owing: number;
}

/** Called for connection life events; the client turns them into its events. */
export interface ConnectionEvents {
  /** A socket to `server` is up: its first, or a later one after a drop. */
  connect(server: string, reconnect: boolean): void;
  /** A socket to `server` closed; `error` says why, `undefined` when the server closed an idle one. */
  disconnect(server: string, error: Error | undefined): void;
  /** A connection failed (what was waiting on it rejects as well). */
  error(error: Error): void;
}

/**
 * Where a connection is in its life. Each transition is made by the one method named on it:
 *
 * ```
 *          #open             #onConnect                 #authProbed
 *   idle ────────▶ connecting ──────────▶ authenticating ───────────▶ ready
 *    ▲                 │  └──────────── #onConnect (no credentials) ──▶ │
 *    └─── #teardown ───┴────────────────────────────────────────────────┘
 *
 *   once close() was called:
 *   connecting, authenticating, ready ── #teardown ──────────────────────────▶ closed
 *   idle ── #finishClose ────────────────────────────────────────────────────▶ closed
 *   ready, nothing owed ── #end ──▶ closing ── socket closed, #finishClose ──▶ closed
 * ```
 *
 * - `idle`: no socket. The next command makes one (unless the server is being left alone).
 * - `connecting`: the TCP connect or TLS handshake is under way; commands queue in the writer.
 * - `authenticating`: connected, with credentials; the probe asking whether the server wants
 *   them is out, and commands wait behind it unsent.
 * - `ready`: commands leave once per tick.
 * - `closing`: close() was called and nothing is owed any more: the socket was ended (FIN
 *   sent) and close() resolves when it has closed.
 * - `closed`: for good; commands are refused.
 *
 * close() itself changes no state while replies are owed or the socket connects: it asks for
 * the end, which the last reply (#settled) or the connect (#onConnect) then makes.
 */
type State = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'closing' | 'closed';

/**
 * One socket to one server, with many commands in flight (pipelining).
 *
 * - Commands are encoded into a {@link CommandWriter} and leave in one socket
 *   write per tick: at the end of the microtask drain when the client owes no
 *   reply, else at the end of the event-loop turn (see `#scheduleFlush`).
 * - With `mergeGets`, the retrievals queued between two writes that sit next to
 *   each other go out as one line, one {@link MergedGets} op in the ring.
 * - What each reply means is {@link Replies}' business: it resolves the ops in
 *   order, and throws on a stream out of step, which closes the connection and
 *   rejects everything in flight.
 * - One deadline timer per connection, not per op: it fires at most every
 *   `timeoutMs` while replies are owed and fails the connection if no reply byte
 *   arrived for `timeoutMs`.
 * - The socket is made lazily by the first command, once for all the commands
 *   that arrive while it connects, if {@link Failover} says the server may be
 *   connected to; it is told how the server did: replies that kept coming, a
 *   failed connect, a timeout, a drop with operations in flight. A connection the
 *   server closed while idle is made again by the next command.
 * - Sockets and timers are made in the owning client's async context (its
 *   `AsyncResource`), never in the caller's: a handle carries the context it was
 *   made in as its async store, so a socket made lazily inside a request would keep
 *   that request's context (and a `MappedPool` scope's client) alive for as long
 *   as the connection lives.
 */
export class Connection {
  readonly member: Member;
  /** The member's server. */
  readonly server: ServerAddress;
  readonly #options: ParsedOptions;
  readonly #events: ConnectionEvents;
  readonly #failover: Failover;
  /** The owning client's async context, where every socket and timer is made. */
  readonly #owner: AsyncResource;
  readonly #writer = new CommandWriter();
  readonly #replies: Replies;
  readonly #parser: ReplyParser;
  /** The fleet's counters of this server. */
  readonly #counters: ServerCounters;
  /** The one op in flight being timed for the latency figures, and when it was queued. */
  #timed: WaitingOp | undefined = undefined;
  #timedAt = 0;
  #state: State = 'idle';
  #socket: Socket | null = null;
  #flushScheduled = false;
  #deadline: NodeJS.Timeout | null = null;
  #connectTimer: NodeJS.Timeout | null = null;
  /** When reply bytes last arrived, or when the ring went from empty to busy. */
  #progressAt = 0;
  #everConnected = false;
  /** When the first reply bytes came on this socket; 0 before. */
  #firstReplyAt = 0;
  /** Whether this socket has proven the server works (see {@link Failover.answered}). */
  #proven = false;
  /** The ops in the ring were queued on an idle connection and have not been written yet. */
  #idleBurst = false;
  /** The merged retrieval whose line is open in the writer: the next retrievals may join it. */
  #merging: MergedGets | null = null;
  /** Settled merged retrievals, kept for reuse. */
  readonly #freeMerged: MergedGets[] = [];
  /** The client's count of connections owing replies, which this one is in while its ring holds ops. */
  readonly #traffic: Traffic;
  #owing = false;
  /** What close() returns, made when it is first called: whether the client asked for the end. */
  #closed: Promise<void> | null = null;
  #resolveClosed: () => void = noop;

  constructor(
    member: Member,
    options: ParsedOptions,
    events: ConnectionEvents,
    failover: Failover,
    owner: AsyncResource,
    traffic: Traffic,
  ) {
    this.#traffic = traffic;
    const server = member.server;
    this.member = member;
    this.server = server;
    this.#options = options;
    this.#events = events;
    this.#failover = failover;
    this.#owner = owner;
    this.#counters = member.counters;
    this.#replies = new Replies(server.label, options.maxValueBytes, {
      settled: (op, failed) => this.#settled(op, failed),
      authProbed: (needsAuth) => this.#authProbed(needsAuth),
    });
    this.#parser = new ReplyParser(this.#replies);
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
   * Returns an error when a command cannot be queued now (closed, or failover leaves
   * the server alone for now), else starts connecting if needed and returns
   * `undefined`. Call it before encoding, so nothing is half-written.
   */
  ready(): Error | undefined {
    const state = this.#state;
    if (state === 'ready' || state === 'connecting' || state === 'authenticating') return undefined;
    if (state !== 'idle') return new ConnectionError(this.server.label, 'the connection is closed');
    const refused = this.#failover.mayConnect(this.member);
    if (refused !== undefined) {
      this.#counters.errors++;
      return refused;
    }
    this.#connect();
    return undefined;
  }

  /** Queues an op whose command was just encoded; returns its promise. */
  send(op: WaitingOp): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      op.resolve = resolve;
      op.reject = reject;
    });
    this.#push(op);
    return promise;
  }

  /**
   * Queues a retrieval of `key` (`gat`/`gats` with a `ttl`), after {@link ready} said yes;
   * returns its promise. With `mergeGets` it joins the retrieval line still open in the
   * writer when that line is of the same kind and TTL and has room, else opens a new one.
   */
  retrieve(kind: RetrievalKind, asked: number | undefined, prefix: string, key: string): Promise<unknown> {
    const writer = this.#writer;
    // A gutter server's connection caps every expiry, gat's included.
    const ttl = asked === undefined ? undefined : writer.capped(asked);
    if (!this.#options.mergeGets) {
      if (ttl === undefined) writer.retrieve(kind, prefix, key);
      else writer.touchRetrieve(kind === 'gets' ? 'gats' : 'gat', ttl, prefix, key);
      return this.send(new Op(kind));
    }
    let batch = this.#merging;
    const wanted = ttl ?? -1;
    // Join the line still open in the writer: it is open only while nothing else was written since,
    // so a retrieval never jumps over a command issued before it. A batch with no callers was answered
    // already (by a stray reply of a broken server) and is never joined.
    if (
      batch !== null &&
      writer.lineOpen &&
      batch.callers > 0 &&
      batch.retrieval === kind &&
      batch.ttl === wanted &&
      fits(batch, prefix.length + key.length)
    ) {
      batch.add(key);
    } else {
      batch = this.#freeMerged.pop() ?? new MergedGets(this.#freeMerged);
      batch.start(kind, wanted, ttl === undefined ? kind : `${kind === 'gets' ? 'gats' : 'gat'} ${ttl}`, prefix);
      batch.add(key);
      writer.openRetrieval(batch);
      this.#merging = batch;
      this.#push(batch);
    }
    return new Promise(batch.capture);
  }

  /** Schedules the write of commands that expect no reply (`noreply`). */
  sendNoReply(): void {
    this.#scheduleFlush(this.#traffic.owing === 0);
  }

  #push(op: WaitingOp): void {
    const replies = this.#replies;
    // Whether no connection of the client owed a reply before this op: see #scheduleFlush.
    let idle = false;
    if (replies.size === 0) {
      idle = this.#traffic.owing === 0;
      this.#owes(true);
      this.#idleBurst = true;
      this.#progressAt = Date.now();
      // While authenticating the probe is in the ring, so the ring is never empty there.
      if (this.#state === 'ready') {
        this.#socket!.ref();
        this.#armDeadline();
      }
    }
    replies.push(op);
    // One op in eight is timed, and one at a time: two clock reads per eight ops at most, fewer under load.
    if ((++this.#counters.ops & 7) === 0 && this.#timed === undefined) {
      this.#timed = op;
      this.#timedAt = performance.now();
    }
    this.#scheduleFlush(idle);
  }

  /**
   * Writes what the writer holds once the commands of this moment are in, by one of two clocks:
   *
   * - `idle` (no connection of the client owes a reply): at the end of the current microtask
   *   drain, by `queueMicrotask`. No reply of this client can arrive before then to add to the
   *   write, so waiting longer would only delay it: a lone get leaves in the tick it was called
   *   in, and every call the same drain makes (the continuations one reply resumed) still
   *   merges into the same write.
   * - otherwise: at the end of this turn of the event loop, by `setImmediate`, which runs after
   *   the poll phase has read every socket that had data. Replies still owed (on this or another
   *   of the client's connections) may come in this turn, and the calls their callers make then
   *   join the same write and the same merged line: over several servers this is one write per
   *   server per turn, where writing after each reply would cut the lines short.
   *
   * Neither is a timer: nothing is ever held for a batch to fill.
   */
  #scheduleFlush(idle: boolean): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Made in the caller's context, unlike sockets and timers: it runs on this turn of the loop and
    // is gone, so it cannot keep a context alive, and the scope switch would cost every tick.
    if (idle) queueMicrotask(this.#flush);
    else setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    // Connecting or authenticating: the connect handler, or the probe's answer, flushes.
    if (this.#state !== 'ready') return;
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
    if (this.#replies.size === 0) this.#writer.trim();
  };

  #connect(): void {
    this.#owner.runInAsyncScope(this.#open, this);
  }

  /** idle → connecting: makes the socket and its connect timer; called in the owner's context. */
  #open(): void {
    const options = this.#options;
    const socket = openSocket(this.server, options.tls);
    this.#state = 'connecting';
    this.#socket = socket;
    this.#connectTimer = this.#timer(() => {
      if (this.#socket === socket) {
        this.#teardown(new TimeoutError(this.server.label, 'connectTimeoutMs', options.connectTimeoutMs), true);
      }
    }, options.connectTimeoutMs);
    this.#watch(socket);
  }

  /** Listens to `socket` for as long as it is this connection's: every handler ignores a socket it let go of. */
  #watch(socket: Socket): void {
    socket.once(this.#options.tls !== undefined ? 'secureConnect' : 'connect', () => {
      if (this.#socket === socket) this.#onConnect(socket as Socket | TLSSocket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      const now = Date.now();
      this.#progressAt = now;
      if (!this.#proven) {
        // The first bytes on a plain-text socket: a TLS record means the server speaks TLS.
        if (this.#firstReplyAt === 0 && this.#options.tls === undefined && isTlsRecord(chunk)) {
          this.#teardown(
            new ConnectionError(this.server.label, ANSWERED_WITH_TLS.reason, undefined, ANSWERED_WITH_TLS.advice),
            true,
          );
          return;
        }
        this.#answered(now);
      }
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
      const connecting = this.#state === 'connecting';
      this.#teardown(this.#closeError(socketError, connecting), connecting);
    });
  }

  /** What a socket's close fails the waiting operations with: it says so when TLS is why. */
  #closeError(socketError: Error | undefined, connecting: boolean): ConnectionError {
    const cause = socketError === undefined ? undefined : { cause: socketError };
    let failure: Failure | undefined;
    if (this.#options.tls !== undefined) failure = connecting ? tlsConnectFailure(socketError) : undefined;
    else if (!connecting && this.#firstReplyAt === 0 && this.#replies.size > 0)
      failure = plainClosedUnanswered(socketError);
    if (failure !== undefined) return new ConnectionError(this.server.label, failure.reason, cause, failure.advice);
    const reason = connecting
      ? `could not connect${socketError ? ` (${(socketError as NodeJS.ErrnoException).code ?? socketError.message})` : ''}`
      : 'the connection closed';
    return new ConnectionError(this.server.label, reason, cause);
  }

  /** connecting → authenticating (with credentials) or ready. */
  #onConnect(socket: Socket): void {
    clearTimeout(this.#connectTimer!);
    this.#connectTimer = null;
    const options = this.#options;
    if (options.tcpNoDelay) socket.setNoDelay(true);
    if (options.keepAlive) socket.setKeepAlive(true);
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
      this.#owes(true);
      this.#replies.pushFirst(new Op('probe'));
      this.#state = 'authenticating';
      socket.write(AUTH_PROBE);
    } else {
      this.#state = 'ready';
    }
    this.#progressAt = Date.now();
    if (this.#replies.size > 0) this.#armDeadline();
    else socket.unref();
    this.#flush();
    this.#events.connect(this.server.label, reconnect);
    // close() came while connecting: what was queued is written now; with nothing owed, end here,
    // else the last reply does (#settled).
    if (this.#closed !== null && this.#replies.size === 0) this.#end();
  }

  /** Reply bytes came at `now` on a socket that has not proven the server yet: failover decides when it has. */
  #answered(now: number): void {
    if (this.#firstReplyAt === 0) this.#firstReplyAt = now;
    else this.#proven = this.#failover.answered(this.member, this.#firstReplyAt, now);
  }

  #armDeadline(): void {
    if (this.#deadline !== null) return;
    this.#deadline = this.#timer(this.#onDeadline, this.#options.timeoutMs);
  }

  readonly #onDeadline = (): void => {
    this.#deadline = null;
    if (this.#replies.size === 0 || !this.#connected()) return;
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
    if (this.#replies.size === 0 || !this.#connected()) return;
    const timeoutMs = this.#options.timeoutMs;
    const quiet = Date.now() - this.#progressAt;
    if (quiet >= timeoutMs) this.#teardown(new TimeoutError(this.server.label, 'timeoutMs', timeoutMs), true);
    else this.#armDeadline();
  };

  /** Whether the socket is up: replies are owed on it, and its deadline applies. */
  #connected(): boolean {
    return this.#state === 'ready' || this.#state === 'authenticating';
  }

  #protocolError(error: unknown): Error {
    if (error instanceof MalformedReplyError) return new ProtocolError(this.server.label, error.message);
    return error instanceof Error ? error : new ProtocolError(this.server.label, String(error));
  }

  /**
   * connecting, authenticating or ready → idle (closed after close()): closes the socket and
   * rejects every waiting op with `error`. `rest` (a failed connect or a timeout) asks failover
   * to leave the server alone for `retryTimeoutMs`.
   */
  #teardown(error: Error, rest: boolean): void {
    const state = this.#state;
    // Race: the chunk that carried the last reply during close() may carry more bytes, which fit no op.
    // The socket is ending and nothing is owed: they are dropped, and the socket's close ends it.
    if (state === 'closing' || state === 'closed') return;
    const socket = this.#socket!;
    const wasConnected = this.#connected();
    this.#socket = null;
    this.#state = this.#closed !== null ? 'closed' : 'idle';
    if (this.#connectTimer !== null) clearTimeout(this.#connectTimer);
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#connectTimer = null;
    this.#deadline = null;
    this.#parser.reset();
    this.#writer.clear();
    this.#merging = null;
    socket.destroy();
    this.#counters.errors += this.#replies.size;
    this.#timed = undefined;
    const hadWork = this.#replies.rejectAll(error);
    this.#owes(false);
    if (wasConnected) this.#events.disconnect(this.server.label, hadWork || rest ? error : undefined);
    if (hadWork || rest || !wasConnected) this.#events.error(error);
    // A refused connect, a timeout, or a reset that cut operations off: failover counts each.
    if (rest || hadWork) this.#failover.failed(this.member, error, rest);
    if (this.#state === 'closed') this.#resolveClosed();
  }

  /**
   * Lets the ops in flight finish (or fail by timeout), then closes the socket.
   * Idempotent; later commands are refused by the client before they get here.
   */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    const state = this.#state;
    if (state === 'idle') this.#finishClose();
    else if (state === 'ready' && this.#replies.size === 0) this.#end();
    // Otherwise commands were accepted (noreply ones already resolved true): #onConnect writes them, and
    // the last reply (#settled) ends the socket; a failed connect or a timeout tears it down.
    return this.#closed;
  }

  /** ready → closing, once close() was called and nothing is owed: writes what was accepted, then ends the socket. */
  #end(): void {
    const socket = this.#socket!;
    this.#flush();
    this.#state = 'closing';
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

  /** idle or closing → closed: resolves close(). */
  #finishClose(): void {
    this.#state = 'closed';
    this.#resolveClosed();
  }

  /** Counts this connection in or out of the client's connections owing replies. */
  #owes(owing: boolean): void {
    if (owing === this.#owing) return;
    this.#owing = owing;
    this.#traffic.owing += owing ? 1 : -1;
  }

  /**
   * After `op` leaves the ring: counts it, and when idle, drops the socket's hold on the process and a
   * burst's buffer, and finishes a pending close.
   */
  #settled(op: WaitingOp | undefined, failed: boolean): void {
    if (failed) this.#counters.errors++;
    if (op !== undefined && op === this.#timed) {
      const now = performance.now();
      this.#counters.latency(now - this.#timedAt, now);
      this.#timed = undefined;
    }
    if (this.#replies.size !== 0) return;
    this.#owes(false);
    // Every reply is in: a buffer grown for a burst can go.
    this.#writer.trim();
    if (this.#closed !== null) this.#end();
    else this.#socket!.unref();
  }

  /** authenticating → ready: the auth goes first if the server wants it, then what waited behind it. */
  #authProbed(needsAuth: boolean): void {
    this.#state = 'ready';
    if (needsAuth) {
      this.#replies.pushFirst(new Op('auth'));
      this.#socket!.write(this.#options.auth!.bytes());
    }
    this.#flush();
  }
}

function noop(): void {}

/** Whether `batch`'s line has room for one more call, of a key of `keyBytes` bytes with the prefix. */
function fits(batch: MergedGets, keyBytes: number): boolean {
  if (batch.callers >= MAX_CALLS_PER_LINE) return false;
  return batch.ttl < 0 || batch.lineBytes + 1 + keyBytes <= MAX_TOUCH_LINE_BYTES;
}
