import type { Encoded } from './values.js';

/** Values at least this large are queued by reference (written with writev), not copied into the output buffer. */
const BY_REFERENCE_BYTES = 16 * 1024;
/** The output buffer's size; one socket write per tick is cut from it. */
const CHUNK_BYTES = 64 * 1024;
/** A store header is at most: command, key (250), flags, ttl, length, cas (20 each), noreply, spaces, CRLF. */
const MAX_HEADER_BYTES = 400;

/**
 * Node's Buffer has these per-encoding writers (what `buf.write(s, o, enc)` calls
 * after a switch on the encoding name); @types/node does not declare them.
 */
interface FastWrites extends Buffer {
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
}

/** A retrieval line being gathered: `<command> <prefix><key> <prefix><key> …`, written when it ends. */
export interface RetrievalLine {
  /** `get`, `gets`, `gat <ttl>` or `gats <ttl>`. */
  readonly command: string;
  readonly prefix: string;
  /** The keys (latin1, without the prefix) in `keys[0..keyCount)`, at least one; more may join until the line ends. */
  readonly keys: readonly string[];
  readonly keyCount: number;
}

/** The store commands, by the name the protocol gives them. */
export type StoreCommand = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';

/**
 * Commands encoded straight into one output buffer, so that a tick's commands
 * leave in one socket write without a per-command Buffer or a concat.
 *
 * ```
 *  buffer: [ written, owned by the socket | pending: start..end | free ]
 * ```
 * `take()` hands the pending bytes to the socket as a subarray and moves
 * `start` past them; those bytes are never touched again (the socket may still
 * be writing them). When the free room runs out a new buffer is made and only
 * the pending bytes are copied over. Large values are queued by reference
 * between sealed pieces instead of being copied. A merged retrieval line is
 * left open (without its CRLF) so that more keys can join it; the next write of
 * anything else, or `take()`, ends it first. A buffer grown past
 * `CHUNK_BYTES` for a burst is let go by {@link CommandWriter.trim} once the
 * burst is over: the socket keeps what it still has to write.
 */
export class CommandWriter {
  #buffer: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  #start = 0;
  #end = 0;
  /** Sealed pieces and large values, in order, written before the pending bytes. */
  #pieces: Uint8Array[] = [];
  /** The retrieval line still open for keys: written when anything else is written, or taken. */
  #open: RetrievalLine | null = null;
  /** The longest exptime written (a gutter server's `ttl`), or 0 for no cap. */
  #maxTtl = 0;

  /**
   * Caps the expiry of every write from now on at `seconds` (1 to 30 days): an exptime of 0
   * (never) or above it, which includes a Unix time, is written as `seconds`.
   */
  capTtl(seconds: number): void {
    this.#maxTtl = seconds;
  }

  /** `exptime` under the cap of {@link capTtl}: what a write's expiry is sent as. */
  capped(exptime: number): number {
    const max = this.#maxTtl;
    return max !== 0 && (exptime === 0 || exptime > max) ? max : exptime;
  }

  /** Drops everything pending (the connection that would have sent it is gone). */
  clear(): void {
    this.#start = this.#end;
    this.#pieces = [];
    this.#open = null;
    this.trim();
  }

  /**
   * Whether the line {@link openRetrieval} began is still open: nothing was written or
   * taken since, so keys added to it go out with it.
   */
  get lineOpen(): boolean {
    return this.#open !== null;
  }

  /**
   * Hands over what is pending: one buffer, or several for `writev`. Returns
   * `undefined` when there is nothing.
   */
  take(): Uint8Array | Uint8Array[] | undefined {
    this.#seal();
    const pending = this.#end > this.#start ? this.#buffer.subarray(this.#start, this.#end) : undefined;
    this.#start = this.#end;
    if (this.#pieces.length === 0) return pending;
    const pieces = this.#pieces;
    this.#pieces = [];
    if (pending !== undefined) pieces.push(pending);
    return pieces;
  }

  /**
   * Swaps a buffer grown for a burst, once nothing in it is pending, for a chunk of the
   * normal size; otherwise one burst would keep its size (100k 1 KB sets: 137 MB) for
   * the client's life. The connection calls it when the burst is over (nothing waits for
   * a reply), so steady pipelined traffic keeps reusing the grown buffer.
   */
  trim(): void {
    if (this.#buffer.length <= CHUNK_BYTES || this.#end !== this.#start) return;
    this.#buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.#start = 0;
    this.#end = 0;
  }

  #room(bytes: number): void {
    if (this.#end + bytes <= this.#buffer.length) return;
    const pending = this.#end - this.#start;
    // Double when pending bytes pile up (a burst issued while connecting), so growth stays amortised O(1).
    const next = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, 2 * (pending + bytes)));
    this.#buffer.copy(next, 0, this.#start, this.#end);
    this.#buffer = next;
    this.#start = 0;
    this.#end = pending;
  }

  #ascii(text: string): void {
    this.#end += (this.#buffer as FastWrites).latin1Write(text, this.#end);
  }

  #crlf(): void {
    this.#buffer[this.#end++] = 13;
    this.#buffer[this.#end++] = 10;
  }

  /** `get|gets <prefix><key>\r\n` for one key (the prefix and key as latin1). */
  retrieve(command: 'get' | 'gets', prefix: string, key: string): void {
    this.#keyed(command, prefix, key, '');
  }

  /** `gat|gats <ttl> <prefix><key>\r\n`, `ttl` already {@link capped} (the connection caps it once, for merged lines too). */
  touchRetrieve(command: 'gat' | 'gats', ttl: number, prefix: string, key: string): void {
    this.#keyed(`${command} ${ttl}`, prefix, key, '');
  }

  /**
   * Opens a retrieval line: it is written, with every key `line.keys` holds by then, when
   * anything else is written or {@link take} hands the bytes over. So nothing written after
   * the line can go out before it, and a key joins the line by joining `line.keys`.
   */
  openRetrieval(line: RetrievalLine): void {
    this.#seal();
    this.#open = line;
  }

  /** Writes the open retrieval line: every write that is not a key of it calls this first. */
  #seal(): void {
    const line = this.#open;
    if (line === null) return;
    this.#open = null;
    const { prefix, keys, keyCount } = line;
    // A lone key is written in pieces, without building the line; for more, one join and one
    // native write beat a native write per key (~2x for 100 keys).
    if (keyCount === 1) {
      this.#keyed(line.command, prefix, keys[0]!, '');
      return;
    }
    const joined = (keyCount === keys.length ? keys : keys.slice(0, keyCount)).join(prefix === '' ? ' ' : ` ${prefix}`);
    this.#line(`${line.command} ${prefix}${joined}`);
  }

  /** `get|gets k1 k2 …\r\n` for `wireKeys[from..to)` (keys with the prefix already on, as latin1). */
  retrieveMany(command: 'get' | 'gets', wireKeys: readonly string[], from: number, to: number): void {
    // One join and one native write beat a native write per key (~2x for 100 keys).
    const keys = from === 0 && to === wireKeys.length ? wireKeys : wireKeys.slice(from, to);
    this.#line(`${command} ${keys.join(' ')}`);
  }

  /** A store command with its data block. */
  store(
    command: StoreCommand,
    prefix: string,
    key: string,
    value: Encoded,
    ttl: number,
    cas: bigint | undefined,
    noreply: boolean,
  ): void {
    this.#seal();
    const length = value.length;
    const inline = typeof value.bytes === 'string' || length < BY_REFERENCE_BYTES;
    this.#room(MAX_HEADER_BYTES + (inline ? length : 0));
    this.#ascii(command);
    this.#buffer[this.#end++] = 32;
    if (prefix !== '') this.#ascii(prefix);
    this.#ascii(key);
    let tail = ` ${value.flags} ${this.capped(ttl)} ${length}`;
    if (cas !== undefined) tail += ` ${cas}`;
    if (noreply) tail += ' noreply';
    this.#ascii(tail);
    this.#crlf();
    this.#data(value, inline);
  }

  /** A value's data block and its CRLF, after a header written with room for it when `inline`. */
  #data(value: Encoded, inline: boolean): void {
    const { length } = value;
    const bytes = value.bytes;
    if (typeof bytes === 'string') {
      const buffer = this.#buffer as FastWrites;
      this.#end += value.latin1 ? buffer.latin1Write(bytes, this.#end) : buffer.utf8Write(bytes, this.#end);
    } else if (inline) {
      this.#buffer.set(bytes, this.#end);
      this.#end += length;
    } else {
      // Seal what is pending, then queue the value itself: a large value is never copied.
      if (this.#end > this.#start) this.#pieces.push(this.#buffer.subarray(this.#start, this.#end));
      this.#start = this.#end;
      this.#pieces.push(bytes);
      this.#room(2);
    }
    this.#crlf();
  }

  /**
   * `mg <prefix><key> <flags>\r\n`, memcached's meta get: `flags` are the meta flags
   * (`v c f N30 R10`), each checked by the caller.
   */
  metaGet(prefix: string, key: string, flags: string): void {
    this.#keyed('mg', prefix, key, ` ${flags}`);
  }

  /** `ms <prefix><key> <length> <flags>\r\n` and the value's data block: a meta set (`T300 F16 C42`). */
  metaSet(prefix: string, key: string, value: Encoded, flags: string): void {
    const inline = typeof value.bytes === 'string' || value.length < BY_REFERENCE_BYTES;
    // Room for the data block and its CRLF too, when it is copied in.
    this.#keyed('ms', prefix, key, ` ${value.length} ${flags}`, inline ? value.length + 2 : 0);
    this.#data(value, inline);
  }

  /** `md <prefix><key>[ <flags>]\r\n`, a meta delete: with `I`, it marks the item stale instead. */
  metaDelete(prefix: string, key: string, flags: string): void {
    this.#keyed('md', prefix, key, flags === '' ? '' : ` ${flags}`);
  }

  /** `delete <prefix><key>\r\n`. */
  delete(prefix: string, key: string): void {
    this.#keyed('delete', prefix, key, '');
  }

  /** `incr|decr <prefix><key> <delta>\r\n`. */
  arith(command: 'incr' | 'decr', prefix: string, key: string, delta: bigint): void {
    this.#keyed(command, prefix, key, ` ${delta}`);
  }

  /** `touch <prefix><key> <ttl>\r\n`. */
  touch(prefix: string, key: string, ttl: number): void {
    this.#keyed('touch', prefix, key, ` ${this.capped(ttl)}`);
  }

  /** `flush_all[ <delay>]\r\n`. */
  flushAll(delay: number | undefined): void {
    this.#line(delay === undefined ? 'flush_all' : `flush_all ${delay}`);
  }

  /** `stats[ <subcommand>]\r\n`; the sub-command was checked to be letters, digits, `_` and spaces. */
  stats(subcommand: string | undefined): void {
    this.#line(subcommand === undefined ? 'stats' : `stats ${subcommand}`);
  }

  /** `version\r\n`. */
  version(): void {
    this.#line('version');
  }

  /** `verbosity <level>\r\n`. */
  verbosity(level: number): void {
    this.#line(`verbosity ${level}`);
  }

  /**
   * `<command> <prefix><key><tail>\r\n`, written in pieces: no string is built for the line;
   * with room for `more` bytes after it (a data block).
   */
  #keyed(command: string, prefix: string, key: string, tail: string, more = 0): void {
    this.#seal();
    this.#room(command.length + prefix.length + key.length + tail.length + 3 + more);
    this.#ascii(command);
    this.#buffer[this.#end++] = 32;
    if (prefix !== '') this.#ascii(prefix);
    this.#ascii(key);
    if (tail !== '') this.#ascii(tail);
    this.#crlf();
  }

  /** A short command line; `text` is ASCII without CR/LF (the client checked every part). */
  #line(text: string): void {
    this.#seal();
    this.#room(text.length + 2);
    this.#ascii(text);
    this.#crlf();
  }
}

/**
 * The `version` a connection sends before anything else when it has credentials, to learn
 * whether the server wants them. Written straight to the socket, ahead of the commands the
 * writer already holds.
 */
export const AUTH_PROBE: Buffer = Buffer.from('version\r\n', 'latin1');

/**
 * memcached's ASCII authentication: a `set` whose data is "<user> <password>" (the key is
 * ignored), encoded once. It holds the password: kept in a private field and read by a
 * method, neither of which `util.inspect` (even with `showHidden` and `getters`) or
 * `JSON.stringify` shows, so logging the options never prints it. Written straight to the
 * socket, ahead of the commands the writer holds, once the server said it wants it.
 */
export class AuthCommand {
  readonly #bytes: Buffer;
  constructor(username: string, password: string) {
    const data = Buffer.from(`${username} ${password}`, 'utf8');
    this.#bytes = Buffer.concat([Buffer.from(`set auth 0 0 ${data.length}\r\n`, 'latin1'), data, Buffer.from('\r\n')]);
  }
  /** The bytes to write on a new connection. */
  bytes(): Buffer {
    return this.#bytes;
  }
  toJSON(): string {
    return '[redacted]';
  }
}
