import type { MergedGets } from './merged-gets.js';

/**
 * What an operation waits for, which decides how its reply is read (`replies.ts`):
 *
 * | kind | sent by | reply |
 * |---|---|---|
 * | `get`, `gets` | `get`/`gat`, `gets`/`gats` | one `VALUE` (with the CAS for `gets`) or none, then `END` |
 * | `batch` | one line of a multi-get | a `VALUE` per hit, then `END` |
 * | `merged` | the `get`s (or `gets`, `gat`s, `gats`) of one tick merged into one line | a `VALUE` per hit, then `END` |
 * | `store` | `set`, `add`, `replace`, `append`, `prepend`, `cas` | `STORED`, or `NOT_STORED`/`EXISTS`/`NOT_FOUND` |
 * | `delete` | `delete` | `DELETED` or `NOT_FOUND` |
 * | `arith` | `incr`, `decr` | the new value, or `NOT_FOUND` |
 * | `touch` | `touch` | `TOUCHED` or `NOT_FOUND` |
 * | `ok` | `flush_all`, `verbosity` | `OK` |
 * | `stats` | `stats [sub]` | `STAT` lines, then `END` |
 * | `version` | `version` (also failover's probe) | `VERSION <v>` |
 * | `probe` | the `version` a connection with credentials sends first | `VERSION <v>`, or `CLIENT_ERROR unauthenticated` |
 * | `auth` | the ASCII auth `set` | `STORED` |
 * | `meta-get` | `mg` (getOrSet) | `VA <size> <flags>` and the value, or `EN` |
 * | `meta` | `ms`, `md` (getOrSet, invalidate) | `HD`, or `NS`/`EX`/`NF` |
 */
export type OpKind =
  | 'get'
  | 'gets'
  | 'batch'
  | 'merged'
  | 'store'
  | 'delete'
  | 'arith'
  | 'touch'
  | 'ok'
  | 'stats'
  | 'version'
  | 'probe'
  | 'auth'
  | 'meta-get'
  | 'meta';

/** An operation waiting in a connection's ring for its reply. */
export type WaitingOp = Op | BatchOp | MergedGets;

function noop(): void {}

/**
 * One command waiting for its reply. A plain class with a fixed shape so V8
 * keeps one hidden class for all of them; it is dropped from the ring when
 * settled, so nothing (no closure, no buffer) outlives the reply.
 */
export class Op {
  readonly kind: Exclude<OpKind, 'batch' | 'merged'>;
  /** Set by the connection that queues it. */
  resolve: (value: unknown) => void = noop;
  reject: (error: Error) => void = noop;
  /** The result so far: the value, or the stats object. */
  result: unknown = undefined;
  /** Whether a VALUE came (a retrieval answers with one at most). */
  hit = false;
  /** Flags of the VALUE being read. */
  flags = 0;
  cas: bigint | undefined = undefined;
  /** A decode failure, reported when the reply ends so the stream stays in step. */
  error: Error | undefined = undefined;
  /** `incr`/`decr`: resolve the new value as a `bigint` rather than a `number`. */
  readonly bigint: boolean;

  constructor(kind: Exclude<OpKind, 'batch' | 'merged'>, bigint = false) {
    this.kind = kind;
    this.bigint = bigint;
  }
}

/**
 * One `get k1 k2 …` line of a multi-get, waiting for a `VALUE` per hit and
 * then `END`: each hit goes into `hits` under the key as the caller gave it.
 * The line asked for `wire[first..last)`; the arrays are the whole multi-get's
 * share on this server, shared by its lines.
 */
export class BatchOp {
  readonly kind = 'batch';
  resolve: (value: unknown) => void = noop;
  reject: (error: Error) => void = noop;
  /** Where the hits go, keyed by the caller's keys. */
  readonly hits: Map<unknown, unknown>;
  /** The wire keys (latin1, prefixed) of the multi-get on this server. */
  readonly wire: readonly string[];
  /** The keys as the caller gave them, index for index with `wire`. */
  readonly keys: readonly unknown[];
  readonly first: number;
  readonly last: number;
  /** Where the search for the next VALUE's key starts. */
  cursor: number;
  /** The caller's key of the VALUE being read. */
  current: unknown = undefined;
  /** Flags of the VALUE being read. */
  flags = 0;
  /** A decode failure, reported when the reply ends so the stream stays in step. */
  error: Error | undefined = undefined;

  constructor(
    hits: Map<unknown, unknown>,
    wire: readonly string[],
    keys: readonly unknown[],
    first: number,
    last: number,
  ) {
    this.hits = hits;
    this.wire = wire;
    this.keys = keys;
    this.first = first;
    this.last = last;
    this.cursor = first;
  }

  /**
   * Finds the key of a `VALUE` line among the keys this line asked for, and makes it
   * the current one. memcached answers the keys of a line in the order asked (misses
   * left out), so the next hit is found by walking forward from the last one, comparing
   * bytes in place: no key string, no hashing. Replies in another order (some proxy)
   * still match, by a search of the whole line. Returns false for a key not asked for.
   */
  match(src: Buffer, start: number, end: number): boolean {
    const { wire, last } = this;
    const length = end - start;
    let i = this.cursor;
    while (i < last && !sameKey(src, start, length, wire[i]!)) i++;
    if (i === last) {
      for (i = this.first; i < last && !sameKey(src, start, length, wire[i]!); i++);
      if (i === last) return false;
    } else {
      this.cursor = i + 1;
    }
    this.current = this.keys[i];
    return true;
  }
}

function sameKey(src: Buffer, start: number, length: number, key: string): boolean {
  if (key.length !== length) return false;
  for (let i = 0; i < length; i++) if (src[start + i] !== key.charCodeAt(i)) return false;
  return true;
}
