import {
  AuthenticationError,
  CounterTooLargeError,
  MalformedReplyError,
  MemcachedClientError,
  MemcachedServerError,
} from './errors.js';
import type { MergedGets } from './merged-gets.js';
import type { BatchOp, Op, WaitingOp } from './ops.js';
import type { ReplySink } from './parser.js';
import { Ring } from './ring.js';
import { decodeValue } from './values.js';

/** What the connection does when a reply moves it on. Called synchronously, from the parser. */
export interface ReplyHooks {
  /** `op` left the ring, resolved or `failed` (an error reply); `undefined` for the auth probe. */
  settled(op: WaitingOp | undefined, failed: boolean): void;
  /** The auth probe was answered: `needsAuth` says whether the server wants credentials. */
  authProbed(needsAuth: boolean): void;
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const END = bytes('END');
const NOT_FOUND = bytes('NOT_FOUND');
const STORED = bytes('STORED');
const STAT = bytes('STAT ');
const VERSION = bytes('VERSION ');
const ERROR = bytes('ERROR');
const SERVER_ERROR = bytes('SERVER_ERROR');
const CLIENT_ERROR = bytes('CLIENT_ERROR');
const UNAUTHENTICATED = bytes('CLIENT_ERROR unauthenticated');
/** What `stats reset` and `stats detail on|off` send instead of END. */
const RESET = bytes('RESET');
const OK = bytes('OK');
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A one-word reply and what the op resolves to on it. */
interface Word {
  readonly reply: Buffer;
  readonly value: unknown;
}

function words(replies: Record<string, unknown>): readonly Word[] {
  return Object.entries(replies).map(([reply, value]) => ({ reply: bytes(reply), value }));
}

/** The kinds whose every success is one word, with what each word means. The first is the common one. */
const WORDS: Readonly<Record<'store' | 'delete' | 'touch' | 'ok' | 'meta', readonly Word[]>> = {
  store: words({ STORED: true, NOT_STORED: false, EXISTS: false, NOT_FOUND: false }),
  delete: words({ DELETED: true, NOT_FOUND: false }),
  touch: words({ TOUCHED: true, NOT_FOUND: false }),
  ok: [{ reply: OK, value: undefined }],
  // ms and md without return flags: done, or not stored, the CAS differs, not found.
  meta: words({ HD: true, NS: false, EX: false, NF: false }),
};

/** A meta get's miss (`EN`, "end"). */
const EN = bytes('EN');

/**
 * A meta get's hit, as `mg <key> v c f` with `N`/`R` answers it: the value, the
 * CAS and flags asked for, and the flags memcached adds on its own (protocol.txt):
 * `W` this caller won the right to refresh the item, `Z` that right was already
 * handed out, `X` the item is stale (marked by `md … I`).
 */
export class MetaItem {
  value: unknown = undefined;
  cas: bigint | undefined = undefined;
  /** The item's client flags. */
  flags = 0;
  /** The data's length in bytes. */
  size = 0;
  win = false;
  stale = false;
  /** `Z`: someone else won the right to refresh it. */
  lost = false;
}

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

function quote(src: Buffer, start: number, end: number): string {
  return JSON.stringify(src.toString('latin1', start, Math.min(end, start + 60)));
}

/**
 * The ops a connection has sent, in order, and what each reply line means for
 * the oldest of them (after ioredis's `DataHandler`). The parser hands it lines
 * and values; it resolves or rejects the op at the head of the ring.
 *
 * - Replies come in order and are matched strictly in order. A line that fits
 *   the waiting op neither as its answer nor as an error reply means the stream
 *   is out of step: it throws, and the connection tears down and rejects
 *   everything in flight. A desynchronised stream is never read on.
 * - An error reply (`ERROR`, `CLIENT_ERROR …`, `SERVER_ERROR …`) rejects just its
 *   op; the stream stays in step.
 * - A value that cannot be decoded rejects its op when the reply ends, so the
 *   rest of the reply is still read.
 */
export class Replies implements ReplySink {
  readonly #waiting = new Ring<WaitingOp>();
  /** The server, for errors. */
  readonly #server: string;
  readonly #maxValueBytes: number;
  readonly #hooks: ReplyHooks;

  constructor(server: string, maxValueBytes: number, hooks: ReplyHooks) {
    this.#server = server;
    this.#maxValueBytes = maxValueBytes;
    this.#hooks = hooks;
  }

  /** How many ops wait for a reply. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Queues an op whose command was written (or is about to be). */
  push(op: WaitingOp): void {
    this.#waiting.push(op);
  }

  /** Queues an op whose command goes on the wire before every other's: the auth probe and the auth. */
  pushFirst(op: Op): void {
    this.#waiting.unshift(op);
  }

  /** Rejects every waiting op with `error` (the connection is gone); returns whether there was any. */
  rejectAll(error: Error): boolean {
    const waiting = this.#waiting;
    const any = waiting.size > 0;
    for (let op = waiting.shift(); op !== undefined; op = waiting.shift()) op.reject(error);
    return any;
  }

  onLine(src: Buffer, start: number, end: number): void {
    const op = this.#waiting.peek();
    if (op === undefined) {
      throw new MalformedReplyError(`a reply ${quote(src, start, end)} came with no command waiting`);
    }
    switch (op.kind) {
      case 'get':
      case 'gets':
      case 'batch':
      case 'merged':
        if (is(src, start, end, END)) this.#end(op);
        else this.#unexpected(op, src, start, end);
        return;
      case 'store':
      case 'delete':
      case 'touch':
      case 'ok':
      case 'meta':
        this.#word(op, WORDS[op.kind], src, start, end);
        return;
      case 'meta-get':
        if (is(src, start, end, EN)) this.#resolve(op, undefined);
        else this.#unexpected(op, src, start, end);
        return;
      case 'arith':
        this.#arith(op, src, start, end);
        return;
      case 'stats':
        this.#stat(op, src, start, end);
        return;
      case 'version':
        if (startsWith(src, start, end, VERSION)) this.#resolve(op, src.toString('latin1', start + 8, end));
        else this.#unexpected(op, src, start, end);
        return;
      case 'probe':
        this.#probed(src, start, end);
        return;
      case 'auth':
        if (!is(src, start, end, STORED)) {
          // Refused: the connection tears down, and what waited behind the auth fails with this error.
          this.#waiting.shift();
          throw new AuthenticationError(this.#server, src.toString('latin1', start, end));
        }
        this.#resolve(op, undefined);
        return;
      default: {
        const kind: never = op;
        throw new MalformedReplyError(`an op of unknown kind ${String(kind)}`);
      }
    }
  }

  onValueHeader(src: Buffer, keyStart: number, keyEnd: number, flags: number, casStart: number, casEnd: number): void {
    const op = this.#waiting.peek();
    if (op?.kind === 'batch' || op?.kind === 'merged') {
      if (!op.match(src, keyStart, keyEnd))
        throw new MalformedReplyError('a VALUE came for a key that was not asked for');
      if (op.kind === 'merged' && op.retrieval === 'gets') op.cas = casOf(src, casStart, casEnd);
    } else if (op?.kind === 'get' || op?.kind === 'gets') {
      if (op.hit) throw new MalformedReplyError('two VALUEs came for one key');
      op.hit = true;
      if (op.kind === 'gets') op.cas = casOf(src, casStart, casEnd);
    } else {
      throw new MalformedReplyError('a VALUE came for a command that retrieves nothing');
    }
    op.flags = flags;
  }

  onMetaHeader(src: Buffer, start: number, end: number): void {
    const op = this.#waiting.peek();
    if (op?.kind !== 'meta-get') throw new MalformedReplyError('a VA came for a command that is not a meta get');
    const item = new MetaItem();
    // Each returned flag is a letter and its token, separated by spaces, in any order.
    for (let i = start; i < end; i++) {
      const c = src[i];
      if (c === 0x20) continue;
      let j = i + 1;
      while (j < end && src[j] !== 0x20) j++;
      switch (c) {
        case 0x63: // c<cas>
          item.cas = token(src, i + 1, j);
          break;
        case 0x66: // f<flags>
          item.flags = Number(token(src, i + 1, j));
          break;
        case 0x57: // W
          item.win = true;
          break;
        case 0x5a: // Z
          item.lost = true;
          break;
        case 0x58: // X
          item.stale = true;
          break;
      }
      i = j;
    }
    if (item.cas === undefined) throw new MalformedReplyError('a VA line for a meta get has no CAS');
    if (item.flags > 0xffffffff) throw new MalformedReplyError('a VA line has bad flags');
    op.flags = item.flags;
    op.result = item;
  }

  onValue(src: Buffer, start: number, end: number, owned: boolean): void {
    // The parser calls this only after onValueHeader or onMetaHeader accepted the header for this op.
    const op = this.#waiting.peek() as Op | BatchOp | MergedGets;
    if (op.kind === 'merged') {
      op.take(src, start, end, owned, this.#maxValueBytes);
      return;
    }
    if (op.kind === 'meta-get') {
      this.#metaValue(op, src, start, end, owned);
      return;
    }
    let value: unknown;
    try {
      value = decodeValue(op.flags, src, start, end, owned, this.#maxValueBytes);
    } catch (error) {
      op.error ??= error as Error;
      return;
    }
    if (op.kind === 'batch') op.hits.set(op.current, value);
    else if (op.kind === 'gets') op.result = { value, cas: op.cas };
    else op.result = value;
  }

  /** A meta get's data block ends its reply: it settles the op at once (there is no END). */
  #metaValue(op: Op, src: Buffer, start: number, end: number, owned: boolean): void {
    const item = op.result as MetaItem;
    item.size = end - start;
    try {
      item.value = decodeValue(op.flags, src, start, end, owned, this.#maxValueBytes);
    } catch (error) {
      this.#reject(op, error as Error);
      return;
    }
    this.#resolve(op, item);
  }

  #resolve(op: WaitingOp, value: unknown): void {
    this.#waiting.shift();
    op.resolve(value);
    this.#hooks.settled(op, false);
  }

  #reject(op: WaitingOp, error: Error, failed = true): void {
    this.#waiting.shift();
    op.reject(error);
    this.#hooks.settled(op, failed);
  }

  /** `END` of a retrieval: its value (or the batch's hits), or the decode failure held until now. */
  #end(op: Op | BatchOp | MergedGets): void {
    // Merged gets settle each caller with its own value or decode error.
    if (op.kind === 'merged') this.#resolve(op, undefined);
    else if (op.error !== undefined) this.#reject(op, op.error);
    else this.#resolve(op, op.kind === 'batch' ? op.hits : op.result);
  }

  #word(op: Op, words: readonly Word[], src: Buffer, start: number, end: number): void {
    for (const word of words) {
      if (is(src, start, end, word.reply)) {
        this.#resolve(op, word.value);
        return;
      }
    }
    this.#unexpected(op, src, start, end);
  }

  /**
   * `incr`/`decr`: the new value as a decimal (memcached pads a shrunk one with spaces), or
   * NOT_FOUND. A `number` unless the op asked for a `bigint`; a value a number cannot hold
   * rejects just the op, with the value on the error (the stream is in step: the reply was whole).
   */
  #arith(op: Op, src: Buffer, start: number, end: number): void {
    const c = src[start]!;
    if (c >= 0x30 && c <= 0x39) {
      let e = end;
      while (e > start && src[e - 1] === 0x20) e--;
      const text = src.toString('latin1', start, e);
      if (!/^\d+$/.test(text)) {
        this.#unexpected(op, src, start, end);
        return;
      }
      const value = BigInt(text);
      if (op.bigint) this.#resolve(op, value);
      else if (value <= MAX_SAFE) this.#resolve(op, Number(value));
      // Not a failure of the server's: the error counters leave it out.
      else this.#reject(op, new CounterTooLargeError(value, this.#server), false);
    } else if (is(src, start, end, NOT_FOUND)) {
      this.#resolve(op, undefined);
    } else {
      this.#unexpected(op, src, start, end);
    }
  }

  /** One line of a `stats` reply, which collects `STAT <name> <value>` lines until END. */
  #stat(op: Op, src: Buffer, start: number, end: number): void {
    if (is(src, start, end, END) || is(src, start, end, RESET) || is(src, start, end, OK)) {
      this.#resolve(op, op.result ?? Object.create(null));
      return;
    }
    const error = errorReply(src, start, end, this.#server);
    if (error !== undefined) {
      this.#reject(op, error);
      return;
    }
    op.result ??= Object.create(null);
    const stats = op.result as Record<string, string>;
    if (startsWith(src, start, end, STAT)) {
      const text = src.toString('utf8', start + 5, end);
      const space = text.indexOf(' ');
      if (space === -1) stats[text] = '';
      else stats[text.slice(0, space)] = text.slice(space + 1);
    } else {
      // Other sub-commands (`stats cachedump`, `stats detail dump`) send their own lines; keep them whole.
      stats[src.toString('utf8', start, end)] = '';
    }
  }

  /**
   * The answer to the auth probe: `VERSION` from a server that wants no credentials (so they
   * are never sent), `CLIENT_ERROR unauthenticated` from one that does. Anything else is a
   * server we cannot talk to.
   */
  #probed(src: Buffer, start: number, end: number): void {
    this.#waiting.shift();
    const needsAuth = is(src, start, end, UNAUTHENTICATED);
    if (!needsAuth && !startsWith(src, start, end, VERSION)) {
      throw new MalformedReplyError(`unexpected reply ${quote(src, start, end)} to version`);
    }
    this.#hooks.authProbed(needsAuth);
    this.#hooks.settled(undefined, false);
  }

  /** A line that is not the op's answer: an error reply rejects just the op; anything else is a desync. */
  #unexpected(op: WaitingOp, src: Buffer, start: number, end: number): void {
    const error = errorReply(src, start, end, this.#server);
    if (error === undefined) throw new MalformedReplyError(`unexpected reply ${quote(src, start, end)}`);
    this.#reject(op, error);
  }
}

/** A meta flag's token `src[start..end)`: decimal digits, read as a bigint. */
function token(src: Buffer, start: number, end: number): bigint {
  const text = src.toString('latin1', start, end);
  if (!/^\d+$/.test(text)) throw new MalformedReplyError(`a meta flag holds ${JSON.stringify(text.slice(0, 30))}`);
  return BigInt(text);
}

/** The CAS token of a `VALUE` line for `gets`, which must have one. */
function casOf(src: Buffer, start: number, end: number): bigint {
  if (start < 0) throw new MalformedReplyError('a VALUE for gets has no CAS');
  return BigInt(src.toString('latin1', start, end));
}

/** The error an error reply stands for, or `undefined` for any other line. */
function errorReply(src: Buffer, start: number, end: number, server: string): Error | undefined {
  if (startsWith(src, start, end, SERVER_ERROR)) {
    return new MemcachedServerError(src.toString('latin1', start + 13, end), server);
  }
  if (startsWith(src, start, end, CLIENT_ERROR)) {
    const text = src.toString('latin1', start, end);
    return is(src, start, end, UNAUTHENTICATED)
      ? new AuthenticationError(server, text)
      : new MemcachedClientError(text, server);
  }
  if (is(src, start, end, ERROR))
    return new MemcachedClientError('ERROR (the server does not know the command)', server);
  return undefined;
}
