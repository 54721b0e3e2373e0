import type { RetrievalLine } from './commands.js';
import { decodeValue } from './values.js';

/** The retrievals that merge, by what a caller gets back: `get`/`gat` a value, `gets`/`gats` a value with its CAS. */
export type RetrievalKind = 'get' | 'gets';

/**
 * The `get`, `gets`, `gat` or `gats` calls of one tick bound for one server, sent as one
 * line (`get k1 k2 …`) and answered as one reply: a `VALUE` per hit, in the order asked,
 * then one `END`. It waits in the connection's ring as one op, where its first call was
 * queued, so commands before and after it keep their order.
 *
 * ```
 *  callers:  0   1   2   3        keyOf: caller → key it asked for
 *  keys:     a   b   c            (caller 3 asked for a again: sent once)
 *  line:    "get a b c"
 * ```
 *
 * Each caller has its own promise, settled when the `END` comes: its value, `undefined` on
 * a miss, or its own decode error. An error reply, or a connection lost mid-reply, rejects
 * every caller. A caller asking for a key already on the line shares its slot and gets its
 * own decoded copy of the value.
 *
 * A connection keeps a few of these for reuse: their arrays of callers keep their room
 * between lines, so a call costs its promise and little else.
 */
export class MergedGets implements RetrievalLine {
  readonly kind = 'merged';
  /** Whether the line asks for CAS tokens (`gets`, `gats`). */
  retrieval: RetrievalKind = 'get';
  /** The TTL of a `gat`/`gats` line, -1 for `get`/`gets`. */
  ttl = -1;
  /** The line's command: `get`, `gets`, `gat <ttl>` or `gats <ttl>`. */
  command = 'get';
  /** The prefix every key of this connection carries, as latin1. */
  prefix = '';
  /** The wire keys (latin1, without the prefix), index for index with the line; `keyCount` of them are this line's. */
  readonly keys: string[] = [];
  /** How many distinct keys the line asks for. */
  keyCount = 0;
  /** How many bytes the line has so far, without its CRLF. */
  lineBytes = 0;
  /** How many callers wait. */
  callers = 0;
  /** Flags of the VALUE being read. */
  flags = 0;
  cas: bigint | undefined = undefined;
  /** The key of the VALUE being read. */
  current = -1;
  /** Where the search for the next VALUE's key starts: replies come in the order asked. */
  #cursor = 0;
  /** For each caller, the index of its key. */
  readonly #keyOf: number[] = [];
  readonly #resolves: ((value: unknown) => void)[] = [];
  readonly #rejects: ((error: Error) => void)[] = [];
  /** For each caller, what it resolves to (or `undefined` for a miss), or its decode error. */
  readonly #results: unknown[] = [];
  readonly #errors: (Error | undefined)[] = [];
  /**
   * The keys' indexes + 1 by a hash of a few of their characters (open addressing, 0 is free),
   * used once the line is long enough that a scan per call would cost more: a Map cost more
   * than the scan it saves, for the lines of a few dozen keys merging makes.
   */
  readonly #table = new Int32Array(TABLE_SIZE);
  #indexed = false;
  /** Where a free batch goes once settled. */
  readonly #free: MergedGets[];

  constructor(free: MergedGets[]) {
    this.#free = free;
  }

  /** Starts a line of `retrieval` with TTL `ttl` (-1 for none), as `command`; keys carry `prefix`. */
  start(retrieval: RetrievalKind, ttl: number, command: string, prefix: string): void {
    this.retrieval = retrieval;
    this.ttl = ttl;
    this.command = command;
    this.prefix = prefix;
    this.lineBytes = command.length;
  }

  /** Adds a caller of `key`, and the key to the line unless it is on it. Follow with `new Promise(batch.capture)`. */
  add(key: string): void {
    let slot = this.#find(key);
    if (slot === -1) {
      slot = this.keyCount++;
      this.keys[slot] = key;
      if (this.#indexed) this.#index(slot);
      else if (slot + 1 === INDEX_FROM_KEYS) for (let i = 0; i <= slot; i++) this.#index(i);
      this.lineBytes += this.prefix.length + key.length + 1;
    }
    this.#keyOf[this.callers] = slot;
  }

  /** The index of `key` on the line, or -1. */
  #find(key: string): number {
    const keys = this.keys;
    if (!this.#indexed) {
      for (let i = 0; i < this.keyCount; i++) if (keys[i] === key) return i;
      return -1;
    }
    const table = this.#table;
    for (let at = hashOf(key); table[at] !== 0; at = (at + 1) & TABLE_MASK) {
      if (keys[table[at]! - 1] === key) return table[at]! - 1;
    }
    return -1;
  }

  /** Puts key `i` in the table, at the first free place from its hash. */
  #index(i: number): void {
    const table = this.#table;
    let at = hashOf(this.keys[i]!);
    while (table[at] !== 0) at = (at + 1) & TABLE_MASK;
    table[at] = i + 1;
    this.#indexed = true;
  }

  /** The executor of a caller's promise: keeps its resolve and reject, and counts the caller in. */
  readonly capture = (resolve: (value: unknown) => void, reject: (error: Error) => void): void => {
    const i = this.callers++;
    this.#resolves[i] = resolve;
    this.#rejects[i] = reject;
    this.#results[i] = undefined;
    this.#errors[i] = undefined;
  };

  /**
   * Finds the key of a `VALUE` line among the keys asked, comparing bytes in place, and makes
   * it the current one. memcached answers in the order asked (misses left out), so the search
   * walks on from the last hit; a reply in another order (some proxy) still matches by a
   * search of the whole line. Returns false for a key not asked for.
   */
  match(src: Buffer, start: number, end: number): boolean {
    const keys = this.keys;
    const count = this.keyCount;
    const prefix = this.prefix;
    const keyStart = start + prefix.length;
    if (prefix !== '' && !sameBytes(src, start, prefix.length, prefix)) return false;
    const length = end - keyStart;
    let i = this.#cursor;
    while (i < count && !sameBytes(src, keyStart, length, keys[i]!)) i++;
    if (i === count) {
      for (i = 0; i < this.#cursor && !sameBytes(src, keyStart, length, keys[i]!); i++);
      if (i === this.#cursor) return false;
    } else {
      this.#cursor = i + 1;
    }
    this.current = i;
    return true;
  }

  /** The data of the current VALUE: decoded for each caller of its key, or that caller's decode error. */
  take(src: Buffer, start: number, end: number, owned: boolean, maxValueBytes: number): void {
    const key = this.current;
    if (this.callers === this.keyCount) {
      // No key asked twice: caller i asked for key i.
      this.#decode(key, src, start, end, owned, maxValueBytes);
      return;
    }
    // A key asked twice: each of its callers decodes its own copy (a Buffer or object is theirs to change).
    for (let i = 0; i < this.callers; i++) {
      if (this.#keyOf[i] === key) this.#decode(i, src, start, end, false, maxValueBytes);
    }
  }

  #decode(caller: number, src: Buffer, start: number, end: number, owned: boolean, maxValueBytes: number): void {
    try {
      const value = decodeValue(this.flags, src, start, end, owned, maxValueBytes);
      this.#results[caller] = this.retrieval === 'gets' ? { value, cas: this.cas } : value;
    } catch (error) {
      this.#errors[caller] ??= error as Error;
    }
  }

  /** The `END`: each caller gets its value, a miss, or its decode error. */
  resolve(_: unknown): void {
    const { callers } = this;
    const resolves = this.#resolves;
    const results = this.#results;
    const errors = this.#errors;
    for (let i = 0; i < callers; i++) {
      const error = errors[i];
      if (error === undefined) resolves[i]!(results[i]);
      else this.#rejects[i]!(error);
    }
    this.#reset();
  }

  /** An error reply, or the connection is gone: every caller rejects with `error`. */
  reject(error: Error): void {
    const rejects = this.#rejects;
    for (let i = 0; i < this.callers; i++) rejects[i]!(error);
    this.#reset();
  }

  /** Forgets the line and every caller (so nothing they got is kept), and goes back to the free list. */
  #reset(): void {
    const callers = this.callers;
    for (let i = 0; i < callers; i++) {
      this.#resolves[i] = noop;
      this.#rejects[i] = noop;
      this.#results[i] = undefined;
      this.#errors[i] = undefined;
    }
    // Keys are the callers' strings: let them go too (keeping the array's room).
    this.keys.fill('', 0, this.keyCount);
    this.keyCount = 0;
    if (this.#indexed) this.#table.fill(0);
    this.#indexed = false;
    this.callers = 0;
    this.#cursor = 0;
    this.current = -1;
    this.cas = undefined;
    if (this.#free.length < KEEP_FREE) this.#free.push(this);
  }
}

/** From this many distinct keys on a line, a caller's key is looked up in the table rather than by a scan. */
const INDEX_FROM_KEYS = 8;
/**
 * How many calls one merged line carries at most. memcached reads a `get` line of any length
 * (it tokenizes 24 keys at a time), but a longer line makes its callers wait for one longer reply.
 */
export const MAX_CALLS_PER_LINE = 100;
/** The size of the key table: a power of two, at least 2.5 times the keys a line can hold, so probes stay short. */
const TABLE_SIZE = 2 ** Math.ceil(Math.log2(MAX_CALLS_PER_LINE * 2.5));
const TABLE_MASK = TABLE_SIZE - 1;
/** How many settled batches a connection keeps for reuse: lines in flight at once, for pipelined callers. */
const KEEP_FREE = 4;

function noop(): void {}

/**
 * A hash of a key's length and a few of its characters: its last four, where counters and
 * ids differ, its first and its middle. Keys that differ elsewhere only probe further.
 */
function hashOf(key: string): number {
  const n = key.length;
  let h = n;
  for (let i = Math.max(0, n - 4); i < n; i++) h = Math.imul(h, 31) + key.charCodeAt(i);
  h = Math.imul(h, 31) + key.charCodeAt(0);
  h = Math.imul(h, 31) + key.charCodeAt(n >> 1);
  return (h ^ (h >>> 9)) & TABLE_MASK;
}

function sameBytes(src: Buffer, start: number, length: number, text: string): boolean {
  if (text.length !== length) return false;
  for (let i = 0; i < length; i++) if (src[start + i] !== text.charCodeAt(i)) return false;
  return true;
}
