import { Buffer } from 'node:buffer';
import { MalformedReplyError } from './errors.js';
import { allocValue } from './values.js';

/**
 * Receives what the {@link ReplyParser} finds, synchronously. The buffers passed
 * in are valid only during the call (they may be the socket's chunk).
 */
export interface ReplySink {
  /** A reply line other than `VALUE`; `end` excludes the CRLF. */
  onLine(src: Buffer, start: number, end: number): void;
  /** A `VALUE <key> <flags> <bytes> [<cas>]` header; `casStart` is -1 without a CAS. */
  onValueHeader(src: Buffer, keyStart: number, keyEnd: number, flags: number, casStart: number, casEnd: number): void;
  /**
   * A meta `VA <bytes> <flags>*` header: `start..end` is what follows the length (the
   * returned flags, such as ` c42 f16 W`; empty without any). Its data block comes next.
   */
  onMetaHeader(src: Buffer, start: number, end: number): void;
  /** The data block of the last header. `owned` says `src` holds this block alone (it may be handed to the caller as is). */
  onValue(src: Buffer, start: number, end: number, owned: boolean): void;
}

const CR = 13;
const LF = 10;
const SPACE = 32;
/** No reply line memcached sends comes near this; a longer one means we are not talking to memcached. */
const MAX_LINE_BYTES = 64 * 1024;
/** memcached's data lengths are 32-bit. */
const MAX_DATA_BYTES = 2 ** 31 - 1;

/**
 * An incremental parser of memcached's text replies, fed socket chunks as they
 * come, split at any byte.
 *
 * It looks for LF only in header lines: a `VALUE` header gives the data length,
 * so the data block is skipped (or copied, when it spans chunks, into one
 * buffer allocated once) without scanning it; data holding `\r\nEND\r\n` is just
 * data. A line cut by a chunk boundary is kept and completed by the next chunk,
 * whose search starts at its own beginning. `VALUE` and `END` lines whole in a
 * chunk, nearly all of them, are read in one pass without the search.
 */
export class ReplyParser {
  readonly #sink: ReplySink;
  /** The start of a line whose LF has not come yet. */
  #partial: Buffer | null = null;
  /** Length of the data block being read, or -1 when reading lines. */
  #dataLength = -1;
  /** Buffer collecting a data block that spans chunks. */
  #data: Buffer | null = null;
  #filled = 0;
  /** How many bytes of the CRLF after the data block have arrived. */
  #trailer = 0;

  constructor(sink: ReplySink) {
    this.#sink = sink;
  }

  /** Forgets any half-read reply (after the connection is closed). */
  reset(): void {
    this.#partial = null;
    this.#dataLength = -1;
    this.#data = null;
    this.#filled = 0;
    this.#trailer = 0;
  }

  /** Parses a chunk; throws {@link MalformedReplyError}, or whatever the sink throws. */
  feed(chunk: Buffer): void {
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      if (this.#dataLength >= 0) {
        pos = this.#readData(chunk, pos);
        continue;
      }
      if (this.#partial === null) {
        // The lines a get reads most, parsed where they lie without a native search for LF first.
        // Anything unusual (cut by the chunk's end, malformed) falls through to the general path.
        const c = chunk[pos];
        if (c === 0x56) {
          const next = this.#valueLine(chunk, pos);
          if (next !== -1) {
            pos = next;
            continue;
          }
        } else if (
          c === 0x45 &&
          pos + 5 <= length &&
          chunk[pos + 1] === 0x4e &&
          chunk[pos + 2] === 0x44 &&
          chunk[pos + 3] === CR &&
          chunk[pos + 4] === LF
        ) {
          this.#sink.onLine(chunk, pos, pos + 3); // END
          pos += 5;
          continue;
        }
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) {
        this.#keep(chunk, pos);
        return;
      }
      let src = chunk;
      let start = pos;
      let end = lf;
      if (this.#partial !== null) {
        src = Buffer.concat([this.#partial, chunk.subarray(pos, lf + 1)]);
        this.#partial = null;
        start = 0;
        end = src.length - 1;
      }
      pos = lf + 1;
      if (end === start || src[end - 1] !== CR) throw new MalformedReplyError('a reply line does not end in CRLF');
      this.#line(src, start, end - 1);
    }
  }

  #keep(chunk: Buffer, pos: number): void {
    const rest = chunk.subarray(pos);
    // Copy: holding a subarray would pin the whole socket chunk.
    this.#partial = this.#partial === null ? Buffer.from(rest) : Buffer.concat([this.#partial, rest]);
    if (this.#partial.length > MAX_LINE_BYTES) {
      throw new MalformedReplyError(`a reply line is longer than ${MAX_LINE_BYTES} bytes`);
    }
  }

  #line(src: Buffer, start: number, end: number): void {
    // "VALUE "
    if (
      end - start > 6 &&
      src[start] === 0x56 &&
      src[start + 1] === 0x41 &&
      src[start + 2] === 0x4c &&
      src[start + 3] === 0x55 &&
      src[start + 4] === 0x45 &&
      src[start + 5] === SPACE
    ) {
      this.#valueHeader(src, start + 6, end);
      return;
    }
    // "VA "
    if (end - start > 3 && src[start] === 0x56 && src[start + 1] === 0x41 && src[start + 2] === SPACE) {
      this.#metaHeader(src, start + 3, end);
      return;
    }
    this.#sink.onLine(src, start, end);
  }

  /** `VA <bytes>[ <flags>]`, from `i` just after `VA `: a meta get's hit, whose data block follows. */
  #metaHeader(src: Buffer, i: number, end: number): void {
    let bytes = 0;
    const bytesStart = i;
    for (let c = src[i]!; i < end && c !== SPACE; c = src[++i]!) {
      if (c < 0x30 || c > 0x39) throw new MalformedReplyError('the length of a VA line is not a number');
      bytes = bytes * 10 + (c - 0x30);
    }
    if (i === bytesStart || bytes > MAX_DATA_BYTES) throw new MalformedReplyError('a VA line has a bad length');
    this.#sink.onMetaHeader(src, i, end);
    this.#dataLength = bytes;
  }

  /**
   * Reads a well-formed `VALUE <key> <flags> <bytes>[ <cas>]\r\n` line whole in
   * `chunk` at `pos` in one pass, and returns where the data block starts; -1
   * for anything else, which {@link #valueHeader} then reads (or rejects).
   */
  #valueLine(chunk: Buffer, pos: number): number {
    const length = chunk.length;
    let i = pos + 6;
    if (
      i >= length ||
      chunk[pos + 1] !== 0x41 ||
      chunk[pos + 2] !== 0x4c ||
      chunk[pos + 3] !== 0x55 ||
      chunk[pos + 4] !== 0x45 ||
      chunk[pos + 5] !== SPACE
    )
      return -1;
    const keyStart = i;
    // Our keys hold no control characters; one compare finds the space and rules them out.
    for (let c = chunk[i]!; c > SPACE; c = chunk[i]!) if (++i === length) return -1;
    const keyEnd = i;
    if (keyEnd === keyStart || chunk[i] !== SPACE) return -1;
    let flags = 0;
    const flagsStart = ++i;
    for (let c = chunk[i]!; i < length && c >= 0x30 && c <= 0x39; c = chunk[++i]!) flags = flags * 10 + (c - 0x30);
    if (i === flagsStart || i === length || chunk[i] !== SPACE || flags > 0xffffffff) return -1;
    let bytes = 0;
    const bytesStart = ++i;
    for (let c = chunk[i]!; i < length && c >= 0x30 && c <= 0x39; c = chunk[++i]!) bytes = bytes * 10 + (c - 0x30);
    if (i === bytesStart || i === length || bytes > MAX_DATA_BYTES) return -1;
    let casStart = -1;
    if (chunk[i] === SPACE) {
      casStart = ++i;
      for (let c = chunk[i]!; i < length && c >= 0x30 && c <= 0x39; c = chunk[++i]!);
      if (i === casStart || i === length) return -1;
    }
    if (chunk[i] !== CR || i + 1 === length || chunk[i + 1] !== LF) return -1;
    this.#sink.onValueHeader(chunk, keyStart, keyEnd, flags >>> 0, casStart, i);
    this.#dataLength = bytes;
    return i + 2;
  }

  #valueHeader(src: Buffer, i: number, end: number): void {
    const keyStart = i;
    while (i < end && src[i] !== SPACE) i++;
    const keyEnd = i;
    if (keyEnd === keyStart || i === end) throw new MalformedReplyError('a VALUE line has no key or flags');
    i++;
    let flags = 0;
    const flagsStart = i;
    for (let c = src[i]!; i < end && c !== SPACE; c = src[++i]!) {
      if (c < 0x30 || c > 0x39) throw new MalformedReplyError('the flags of a VALUE line are not a number');
      flags = flags * 10 + (c - 0x30);
    }
    if (i === flagsStart || i === end || flags > 0xffffffff)
      throw new MalformedReplyError('a VALUE line has bad flags');
    i++;
    let bytes = 0;
    const bytesStart = i;
    for (let c = src[i]!; i < end && c !== SPACE; c = src[++i]!) {
      if (c < 0x30 || c > 0x39) throw new MalformedReplyError('the length of a VALUE line is not a number');
      bytes = bytes * 10 + (c - 0x30);
    }
    if (i === bytesStart || bytes > MAX_DATA_BYTES) throw new MalformedReplyError('a VALUE line has a bad length');
    let casStart = -1;
    if (i < end) {
      casStart = ++i;
      for (; i < end; i++) {
        const c = src[i]!;
        if (c < 0x30 || c > 0x39) throw new MalformedReplyError('the CAS of a VALUE line is not a number');
      }
      if (casStart === end) throw new MalformedReplyError('a VALUE line has an empty CAS');
    }
    // Flags are 32-bit unsigned; `| 0` would make the top bit negative, `>>> 0` keeps it.
    this.#sink.onValueHeader(src, keyStart, keyEnd, flags >>> 0, casStart, end);
    this.#dataLength = bytes;
  }

  #readData(chunk: Buffer, pos: number): number {
    const need = this.#dataLength;
    const length = chunk.length;
    if (this.#data === null && this.#trailer === 0) {
      // The common case: the whole block and its CRLF are in this chunk; hand it over in place.
      if (length - pos >= need + 2) {
        const end = pos + need;
        if (chunk[end] !== CR || chunk[end + 1] !== LF)
          throw new MalformedReplyError('a data block does not end in CRLF');
        this.#dataLength = -1;
        this.#sink.onValue(chunk, pos, end, false);
        return end + 2;
      }
      this.#data = allocValue(need);
      this.#filled = 0;
    }
    const data = this.#data!;
    if (this.#filled < need) {
      const n = Math.min(need - this.#filled, length - pos);
      chunk.copy(data, this.#filled, pos, pos + n);
      this.#filled += n;
      pos += n;
    }
    while (this.#filled === need && pos < length && this.#trailer < 2) {
      if (chunk[pos] !== (this.#trailer === 0 ? CR : LF))
        throw new MalformedReplyError('a data block does not end in CRLF');
      this.#trailer++;
      pos++;
    }
    if (this.#trailer === 2) {
      this.#data = null;
      this.#trailer = 0;
      this.#filled = 0;
      this.#dataLength = -1;
      this.#sink.onValue(data, 0, need, true);
    }
    return pos;
  }
}
