import { InvalidKeyError } from './errors.js';

/**
 * A memcached key as the API takes it: a string (sent as UTF-8) or raw bytes.
 *
 * @example
 * ```ts
 * import { Client, type Key } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * const keys: Key[] = ['doc:text-key', new TextEncoder().encode('doc:bytes-key')];
 * for (const key of keys) await client.set(key, 'same API');
 * console.log(await client.get(keys[1]!));
 * await client.close();
 * // → same API
 * ```
 */
export type Key = string | Uint8Array;

/**
 * memcached's `KEY_MAX_LENGTH`, in UTF-8 bytes, `keyPrefix` included.
 *
 * @example
 * ```ts
 * import { Client, MAX_KEY_BYTES } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * console.log(await client.set('k'.repeat(MAX_KEY_BYTES), 1));
 * // 'é' is two bytes in UTF-8: 126 of them are 252 bytes.
 * await client.set('é'.repeat(126), 1).catch((error) => console.log(error.code));
 * await client.close();
 * // → true
 * // → ERR_INVALID_KEY
 * ```
 */
export const MAX_KEY_BYTES = 250;

/** Any UTF-16 unit but printable ASCII: space, the C0 controls, DEL, and everything beyond ASCII. */
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;

/**
 * Validates a key and returns its bytes as a latin1 string (one char per byte),
 * without the prefix. Throws {@link InvalidKeyError}.
 *
 * The latin1 form is the currency inside the client: commands write it with
 * `latin1` encoding (one byte per char, no UTF-8 work), and multi-get matches
 * `VALUE` lines against it byte for byte. For an ASCII string, by far the
 * common case, it is the string itself: no allocation at all.
 *
 * @param key - The key as the caller gave it.
 * @param prefixBytes - The byte length of the client's `keyPrefix`.
 */
export function keyBytes(key: unknown, prefixBytes: number): string {
  if (typeof key === 'string') {
    const length = key.length;
    // One native scan for the common key, printable ASCII: 1.5–3.5× cheaper than the loop below
    // (a multi-get checks 100 keys per call). Anything else takes the loop, which also names the culprit.
    if (!NOT_PRINTABLE_ASCII.test(key)) {
      if (length === 0) throw new InvalidKeyError('the key is empty');
      if (length + prefixBytes > MAX_KEY_BYTES) throw tooLong(length, prefixBytes);
      return key;
    }
    for (let i = 0; i < length; i++) {
      const c = key.charCodeAt(i);
      // Space, CR, LF, NUL, every C0 control and DEL would split or inject commands.
      if (c <= 0x20 || c === 0x7f) throw new InvalidKeyError(`character ${codeName(c)} at index ${i}`);
    }
    // Not ASCII, then: the limit is in UTF-8 bytes.
    if (!key.isWellFormed()) {
      // A lone surrogate would be sent as U+FFFD: two different keys would name one item.
      throw new InvalidKeyError('the string holds a lone surrogate, which has no UTF-8 encoding');
    }
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length + prefixBytes > MAX_KEY_BYTES) throw tooLong(bytes.length, prefixBytes);
    return bytes.toString('latin1');
  }
  if (key instanceof Uint8Array) {
    const length = key.length;
    if (length === 0) throw new InvalidKeyError('the key is empty');
    if (length + prefixBytes > MAX_KEY_BYTES) throw tooLong(length, prefixBytes);
    for (let i = 0; i < length; i++) {
      const c = key[i]!;
      if (c <= 0x20 || c === 0x7f) throw new InvalidKeyError(`byte ${codeName(c)} at index ${i}`);
    }
    return Buffer.from(key.buffer, key.byteOffset, length).toString('latin1');
  }
  throw new InvalidKeyError(`a key must be a string or a Uint8Array, not ${key === null ? 'null' : typeof key}`);
}

/**
 * Validates a `keyPrefix` option and returns its UTF-8 bytes as latin1.
 * Throws {@link InvalidKeyError} for characters a key cannot hold.
 */
export function prefixBytes(prefix: string): string {
  if (prefix === '') return '';
  const bytes = keyBytes(prefix, 0);
  if (bytes.length >= MAX_KEY_BYTES) throw tooLong(bytes.length, 0);
  return bytes;
}

function tooLong(bytes: number, prefix: number): InvalidKeyError {
  return new InvalidKeyError(
    prefix > 0
      ? `it is ${bytes + prefix} bytes with the ${prefix}-byte keyPrefix, more than ${MAX_KEY_BYTES}`
      : `it is ${bytes} bytes, more than ${MAX_KEY_BYTES}`,
  );
}

function codeName(c: number): string {
  if (c === 0x20) return 'space';
  return `0x${c.toString(16).padStart(2, '0')}`;
}
