// Node 20 and 22 define the global Buffer as a getter: a hot path reads it from the module instead.
import { Buffer } from 'node:buffer';
import { deflateSync, inflateSync } from 'node:zlib';
import { InvalidValueError, ValueTooLargeError } from './errors.js';

/**
 * What a client stores and returns. `Uint8Array`s come back as `Buffer`s;
 * integers beyond `Number.MAX_SAFE_INTEGER` written by other clients come back
 * as `bigint`.
 *
 * @example
 * ```ts
 * import { Client, type Value } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * const values: Value[] = ['text', 42, 2n ** 70n, true, Buffer.from([1, 2]), [1, 'a'], { a: null }];
 * for (const [i, value] of values.entries()) await client.set(`doc:value:${i}`, value);
 * const back = await Promise.all(values.map((_, i) => client.get(`doc:value:${i}`)));
 * for (const value of back) console.log(value);
 * await client.close();
 * // → text
 * // → 42
 * // → 1180591620717411303424n
 * // → true
 * // → <Buffer 01 02>
 * // → [ 1, 'a' ]
 * // → { a: null }
 * ```
 */
export type Value = string | number | bigint | boolean | Uint8Array | null | JsonArray | JsonObject;
/** A JSON array as `set` takes it; see {@link Value}. */
export type JsonArray = readonly unknown[];
/** A plain object as `set` takes it (stored as JSON); see {@link Value}. */
export type JsonObject = { readonly [key: string]: unknown };

/** The flag bits, by name; see {@link Flags} for what each means and an example. */
export interface FlagBits {
  readonly NONE: 0;
  readonly PICKLE: 1;
  readonly INTEGER: 2;
  readonly LONG: 4;
  readonly ZLIB: 8;
  readonly TEXT: 16;
  readonly JSON: 32;
  readonly BIGINT: 64;
}

/**
 * The item flags, bit for bit those of pylibmc 1.6 on Python 3 (`_pylibmcmodule.h`),
 * so that both clients read what the other wrote:
 *
 * | bits | pylibmc writes it for | this client writes it for | reads back as |
 * |---|---|---|---|
 * | 0 | `bytes` | `Buffer`/`Uint8Array` | `Buffer` |
 * | 1 `PICKLE` | other objects | never | the raw pickle bytes, as a `Buffer` |
 * | 2 `INTEGER` | `bool` (`"1"`/`"0"`) | `boolean` | `true`/`false` (other digits: an integer) |
 * | 4 `LONG` | `int` | integer `number` | `number`, or `bigint` beyond 2^53 |
 * | 4 + 64 | — | `bigint` (pylibmc reads it as `int`, it masks bit 64 away) | `bigint` |
 * | 16 `TEXT` | `str` (UTF-8) | `string` | `string` |
 * | 32 | — (pylibmc returns the bytes) | arrays, plain objects, non-integer numbers, `null` as JSON | the parsed JSON |
 * | +8 `ZLIB` | compressed values | compressed values | inflated first |
 *
 * @example
 * ```ts
 * import { Client, Flags } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:flags', 'text');
 * // The flags ride with the item; any pylibmc client reads this back as a str.
 * console.log(Flags.TEXT, typeof (await client.get('doc:flags')));
 * await client.close();
 * // → 16 string
 * ```
 */
export const Flags: FlagBits = Object.freeze({
  NONE: 0,
  PICKLE: 1,
  INTEGER: 2,
  LONG: 4,
  ZLIB: 8,
  TEXT: 16,
  JSON: 32,
  BIGINT: 64,
});

/** A value ready for the wire. */
export interface Encoded {
  readonly flags: number;
  readonly bytes: Uint8Array | string;
  /** When `bytes` is a string, how many bytes it has in `encoding`. */
  readonly length: number;
  /** How to write `bytes` when it is a string. */
  readonly latin1: boolean;
}

/** Serialization settings, taken from the parsed client options. */
export interface EncodeSettings {
  readonly compressionThreshold: number;
  readonly compressionLevel: number;
  readonly maxValueBytes: number;
}

/**
 * Serializes a value into its flags and bytes, compressing it when it reaches
 * the threshold, and checks the size. Throws {@link InvalidValueError} or
 * {@link ValueTooLargeError}; on success nothing has been written anywhere yet.
 */
export function encodeValue(value: unknown, settings: EncodeSettings): Encoded {
  let flags: number;
  let text: string;
  switch (typeof value) {
    case 'string':
      wellFormed(value);
      flags = Flags.TEXT;
      text = value;
      break;
    case 'number':
      if (Number.isSafeInteger(value)) {
        flags = Flags.LONG;
        text = value === 0 ? '0' : String(value); // String(-0) is "0" too; kept explicit.
      } else if (Number.isFinite(value)) {
        flags = Flags.JSON;
        text = JSON.stringify(value);
      } else {
        throw new InvalidValueError(`${value} cannot be stored: JSON has no NaN or Infinity. Store a string instead.`);
      }
      break;
    case 'bigint':
      flags = Flags.LONG | Flags.BIGINT;
      text = value.toString();
      break;
    case 'boolean':
      flags = Flags.INTEGER;
      text = value ? '1' : '0';
      break;
    case 'object':
      if (value instanceof Uint8Array) return finish(Flags.NONE, value, settings);
      flags = Flags.JSON;
      text = value === null ? 'null' : json(value);
      break;
    default:
      throw new InvalidValueError(
        `A value of type ${typeof value} cannot be stored. Store a string, number, bigint, boolean, Buffer, plain object or array.`,
      );
  }
  // Short ASCII-ish strings go to the wire without an intermediate Buffer.
  if (settings.compressionThreshold === 0 || text.length < settings.compressionThreshold / 3) {
    const length = Buffer.byteLength(text, 'utf8');
    if (settings.compressionThreshold === 0 || length < settings.compressionThreshold) {
      if (length > settings.maxValueBytes) throw new ValueTooLargeError(length, settings.maxValueBytes);
      return { flags, bytes: text, length, latin1: length === text.length };
    }
  }
  return finish(flags, Buffer.from(text, 'utf8'), settings);
}

/** A plain object or array as JSON; anything else JSON would not bring back as it was is refused. */
function json(value: object): string {
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
    throw new InvalidValueError(
      `A ${name} cannot be stored: only plain objects and arrays are stored as JSON. Convert it first (Object.fromEntries for a Map, toISOString for a Date).`,
    );
  }
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new InvalidValueError(`The object cannot be serialized as JSON: ${(error as Error).message}.`, {
      cause: error,
    });
  }
}

/** The limit is on the serialized size, before compression: a reader inflates no more than maxValueBytes. */
function finish(flags: number, bytes: Uint8Array, settings: EncodeSettings): Encoded {
  if (bytes.length > settings.maxValueBytes) throw new ValueTooLargeError(bytes.length, settings.maxValueBytes);
  const threshold = settings.compressionThreshold;
  // Compressed only when smaller, so the compressed value is within the limit too.
  if (threshold > 0 && bytes.length >= threshold) {
    const compressed = deflateSync(bytes, { level: settings.compressionLevel });
    if (compressed.length < bytes.length) {
      flags |= Flags.ZLIB;
      bytes = compressed;
    }
  }
  return { flags, bytes, length: bytes.length, latin1: false };
}

/**
 * Checks the data of an `append`/`prepend`: a string (sent as its UTF-8 bytes) or
 * bytes, sent as they are. memcached adds them to the stored data and keeps the
 * item's flags, so they are never compressed nor flagged (the flags sent are 0,
 * which memcached ignores). Throws {@link InvalidValueError} for other types, or
 * {@link ValueTooLargeError}.
 */
export function encodeRaw(value: unknown, maxValueBytes: number): Encoded {
  if (typeof value === 'string') {
    wellFormed(value);
    const length = Buffer.byteLength(value, 'utf8');
    if (length > maxValueBytes) throw new ValueTooLargeError(length, maxValueBytes);
    return { flags: Flags.NONE, bytes: value, length, latin1: length === value.length };
  }
  if (value instanceof Uint8Array) {
    if (value.length > maxValueBytes) throw new ValueTooLargeError(value.length, maxValueBytes);
    return { flags: Flags.NONE, bytes: value, length: value.length, latin1: false };
  }
  throw new InvalidValueError(
    `append and prepend take a string or bytes, not ${describe(value)}: memcached adds the bytes to the stored data and keeps the item's flags, so only an item stored as a string or bytes can take them. Use set to store a new value of another type.`,
  );
}

/**
 * Refuses a string UTF-8 cannot carry: a lone surrogate would be written as
 * U+FFFD and read back as another string. (Keys are refused for the same
 * reason; JSON values need no check, as JSON.stringify escapes lone surrogates.)
 * `isWellFormed` answers at once for one-byte strings.
 */
function wellFormed(text: string): void {
  if (!text.isWellFormed()) {
    throw new InvalidValueError(
      'The string holds a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot carry: it would be stored as U+FFFD and read back changed. Fix the string (String#toWellFormed replaces them), or store it as bytes.',
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** What `inflateSync` returns with `info: true` (@types/node types it as a Buffer). */
interface Inflated {
  readonly buffer: Buffer;
  /** How many input bytes the engine took: the zlib stream's length. */
  readonly engine: { readonly bytesWritten: number };
}

/**
 * Turns a stored item back into a value. `src` may be a shared socket chunk:
 * strings decode straight from it and bytes are copied out, so nothing returned
 * keeps the chunk alive. Throws {@link InvalidValueError} on bad zlib data (also
 * bytes after the zlib stream) or JSON, and {@link ValueTooLargeError} for
 * compressed data that inflates past `maxValueBytes` (inflating stops there, so
 * a small stored item cannot make the reader allocate gigabytes).
 */
export function decodeValue(
  flags: number,
  src: Buffer,
  start: number,
  end: number,
  owned: boolean,
  maxValueBytes: number,
): unknown {
  if ((flags & Flags.ZLIB) !== 0) {
    let inflated: Inflated;
    try {
      // zlib wants a limit of at least 1; a limit of 0 is checked below.
      const options = { info: true, maxOutputLength: Math.max(1, maxValueBytes) };
      inflated = inflateSync(src.subarray(start, end), options) as unknown as Inflated;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ValueTooLargeError(undefined, maxValueBytes);
      }
      throw new InvalidValueError('A value flagged as zlib-compressed could not be inflated.', { cause: error });
    }
    if (inflated.buffer.length > maxValueBytes) throw new ValueTooLargeError(undefined, maxValueBytes);
    // inflate stops at the end of the zlib stream: bytes after it were appended to a compressed item
    // (by another client, or one without compressionThreshold), and the value is not what was stored.
    const rest = end - start - inflated.engine.bytesWritten;
    if (rest > 0) {
      throw new InvalidValueError(
        `A value flagged as zlib-compressed has ${rest} bytes after its compressed data, most likely appended or prepended to a compressed item; it cannot be decoded. Overwrite the item with set.`,
      );
    }
    const { buffer } = inflated;
    return decodeValue(flags & ~Flags.ZLIB, buffer, 0, buffer.length, true, maxValueBytes);
  }
  if ((flags & Flags.TEXT) !== 0) return src.toString('utf8', start, end);
  if ((flags & Flags.LONG) !== 0) return integer(src, start, end, (flags & Flags.BIGINT) !== 0);
  if ((flags & Flags.INTEGER) !== 0) {
    if (end - start === 1 && (src[start] === 0x31 || src[start] === 0x30)) return src[start] === 0x31;
    return integer(src, start, end, false);
  }
  if ((flags & Flags.JSON) !== 0) {
    try {
      return JSON.parse(src.toString('utf8', start, end));
    } catch (error) {
      throw new InvalidValueError('A value flagged as JSON could not be parsed.', { cause: error });
    }
  }
  // Raw bytes (and pylibmc pickles, which Node cannot read): give the caller its own copy.
  if (owned && start === 0 && end === src.length) return src;
  const copy = allocValue(end - start);
  // TypedArray#set straight from a view: Buffer#copy wraps the same call in argument checks (~25 ns a value).
  copy.set(new Uint8Array(src.buffer, src.byteOffset + start, end - start));
  return copy;
}

/**
 * The largest value cut from a slab; larger values get memory of their own. A
 * quarter of the slab, so a slab holds at least four values and the tail left
 * when the next value does not fit is under a quarter.
 */
export const SLAB_VALUE_MAX_BYTES: number = 16 * 1024;
/**
 * The size of the shared slab values of 4 KiB up to {@link SLAB_VALUE_MAX_BYTES}
 * are cut from, and so the most a kept value pins. In A/Bs of 10 KiB gets with
 * 200 in flight, slabs of 64 KiB, 256 KiB and 1 MiB ran alike, each taking 5–7%
 * less CPU per get than an ArrayBuffer per value; the smallest bounds memory best.
 */
export const SLAB_BYTES: number = 64 * 1024;

/** The slab values are being cut from, and how much of it is handed out. */
let slab: ArrayBuffer | null = null;
let slabUsed = 0;

/**
 * A buffer of `length` bytes for a value the caller will own (its contents are
 * not initialised; fill it all).
 *
 * Node's pool serves values below half of `Buffer.poolSize` (4 KiB of 8 KiB
 * slabs on Node 20 and 22; 32 KiB of 64 KiB on Node 24); above that
 * `Buffer.allocUnsafe` makes a new ArrayBuffer per value, which costs several
 * times the copy (and GC work) at tens of thousands of values per second.
 * Values from there to {@link SLAB_VALUE_MAX_BYTES} are therefore cut from one
 * process-wide slab of {@link SLAB_BYTES}, the same trade Node makes with its
 * pool, one size up: a value you keep pins at most its slab until it is
 * collected, and its `.buffer` is that slab, shared with other values. Values
 * are never written after they are handed out, so a kept value is never changed
 * by later replies. Keep a copy (`Buffer.from(value)`) of a mid-size value you
 * hold for long.
 */
export function allocValue(length: number): Buffer {
  // Below half of Buffer.poolSize, allocUnsafe already slices Node's own pool (8 KiB on Node 20 and 22,
  // 64 KiB on Node 24, where it covers every value the slab would).
  if (length < Buffer.poolSize >>> 1 || length > SLAB_VALUE_MAX_BYTES) return Buffer.allocUnsafe(length);
  if (slab === null || slabUsed + length > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES).buffer;
    slabUsed = 0;
  }
  const value = Buffer.from(slab, slabUsed, length);
  // 8-byte aligned like Node's pool, so a value can back a Float64Array view.
  slabUsed = (slabUsed + length + 7) & ~7;
  return value;
}

function integer(src: Buffer, start: number, end: number, big: boolean): number | bigint {
  // memcached pads a decr'd counter with trailing spaces when it gets shorter.
  while (end > start && src[end - 1] === 0x20) end--;
  const text = src.toString('latin1', start, end);
  if (!/^-?\d+$/.test(text))
    throw new InvalidValueError(`A value flagged as an integer holds ${JSON.stringify(text.slice(0, 40))}.`);
  if (big) return BigInt(text);
  if (text.length <= 15) return Number(text);
  const n = BigInt(text);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
}
