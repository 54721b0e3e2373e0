// The key hashes of libhashkit (libmemcached 1.1.x, API 1.0.18), byte for byte.
//
// libhashkit reads keys through `const char *`, and `char` is signed on
// x86-64, where pylibmc and libmemcached mostly run. A byte >= 0x80 therefore
// enters one_at_a_time and the FNV hashes sign-extended (0xE9 as 0xFFFFFFE9),
// which gives non-ASCII keys a different hash than the textbook algorithms.
// `signed(byte)` reproduces that; crc masks the byte, and murmur, jenkins and
// md5 read `unsigned char`, so they take the byte as it is. (On arm64 `char`
// is unsigned, so libmemcached itself places non-ASCII keys differently there;
// we follow x86-64, where this was proven against pylibmc.)
import { createHash } from 'node:crypto';

/**
 * The name of a key hash, as pylibmc's `hash` behavior spells it (`'default'`
 * is libmemcached's default, Bob Jenkins' one-at-a-time hash).
 *
 * `hsieh` is left out: Debian's libmemcached is built without it, so pylibmc
 * there rejects it too. `murmur3` is left out because pylibmc cannot select it.
 */
export type KeyHash =
  | 'default'
  | 'md5'
  | 'crc'
  | 'fnv1_64'
  | 'fnv1a_64'
  | 'fnv1_32'
  | 'fnv1a_32'
  | 'murmur'
  | 'jenkins';

/** A key hash: the bytes of a key to an unsigned 32-bit integer. */
export type HashFunction = (key: Uint8Array) => number;

/** A byte as a C `signed char` widened to 32 bits (0xE9 → -23, i.e. 0xFFFFFFE9). */
function signed(byte: number): number {
  return (byte << 24) >> 24;
}

/**
 * Hashes `key` with libmemcached's default hash, Bob Jenkins' one-at-a-time.
 *
 * This is what libmemcached and pylibmc use when no `hash` is configured.
 *
 * @example
 * ```ts
 * import { hashOneAtATime } from '@clonepool/memcached';
 *
 * console.log(hashOneAtATime(new TextEncoder().encode('foo')));
 * // → 596015325
 * ```
 */
export function hashOneAtATime(key: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < key.length; i++) {
    value = (value + signed(key[i] as number)) | 0;
    value = (value + (value << 10)) | 0;
    value ^= value >>> 6;
  }
  value = (value + (value << 3)) | 0;
  value ^= value >>> 11;
  value = (value + (value << 15)) | 0;
  return value >>> 0;
}

/**
 * Hashes `key` with MD5 as libmemcached does: the first 4 bytes of the digest, little-endian.
 *
 * This is the key hash of `ketama-weighted`, so it runs on every operation:
 * it is MD5 in plain JavaScript over reused buffers, about ten times faster
 * than a `node:crypto` call for a short key, and allocates nothing.
 *
 * @example
 * ```ts
 * import { hashMd5 } from '@clonepool/memcached';
 *
 * console.log(hashMd5(new TextEncoder().encode('foo')));
 * // → 3675831724
 * ```
 */
export function hashMd5(key: Uint8Array): number {
  const length = key.length;
  // Blocks after padding: the key, 0x80, zeros, then the length in bits (8 bytes).
  const blocks = ((length + 8) >>> 6) + 1;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let block = 0; block < blocks; block++) {
    loadBlock(key, block, block === blocks - 1);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + (MD5_K[i] as number) + (MD5_WORDS[g] as number)) | 0;
      const shift = MD5_S[i] as number;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  return a0 >>> 0;
}

/** Reads block `block` of the padded `key` into MD5_WORDS, little-endian; the last one ends with the length in bits. */
function loadBlock(key: Uint8Array, block: number, last: boolean): void {
  const length = key.length;
  const start = block * 64;
  for (let w = 0; w < 16; w++) {
    const at = start + w * 4;
    if (at + 4 <= length) {
      MD5_WORDS[w] =
        (key[at] as number) |
        ((key[at + 1] as number) << 8) |
        ((key[at + 2] as number) << 16) |
        ((key[at + 3] as number) << 24);
    } else {
      let word = 0;
      for (let j = 3; j >= 0; j--) {
        const i = at + j;
        word = (word << 8) | (i < length ? (key[i] as number) : i === length ? 0x80 : 0);
      }
      MD5_WORDS[w] = word;
    }
  }
  if (last) {
    MD5_WORDS[14] = (length * 8) >>> 0;
    MD5_WORDS[15] = Math.floor(length / 0x20000000);
  }
}

// MD5's per-step constants (RFC 1321): K[i] = floor(2^32 * |sin(i + 1)|), and rotations.
const MD5_K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(2 ** 32 * Math.abs(Math.sin(i + 1))) | 0);
const MD5_S = Uint8Array.from(
  { length: 64 },
  (_, i) =>
    [
      [7, 12, 17, 22],
      [5, 9, 14, 20],
      [4, 11, 16, 23],
      [6, 10, 15, 21],
    ][i >>> 4]?.[i & 3] ?? 0,
);
// The 16 words of the block being hashed, reused by every call (serverFor is synchronous).
const MD5_WORDS = new Int32Array(16);

/** The MD5 digest of `bytes` (16 bytes), from `node:crypto`, for the continuum's point names. */
export function md5Digest(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

// The reflected CRC-32 table (polynomial 0xEDB88320), as libhashkit's crc32tab.
const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * Hashes `key` with libmemcached's `crc`: CRC-32, then only bits 16–30 of it (0 to 32767).
 *
 * Not a plain CRC-32: libmemcached keeps `(~crc >> 16) & 0x7fff`, the variant
 * other clients must copy to place keys as it does.
 *
 * @example
 * ```ts
 * import { hashCrc } from '@clonepool/memcached';
 *
 * console.log(hashCrc(new TextEncoder().encode('foo')));
 * // → 3187
 * ```
 */
export function hashCrc(key: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < key.length; i++) crc = (crc >>> 8) ^ (CRC32_TABLE[(crc ^ (key[i] as number)) & 0xff] as number);
  return ((~crc >>> 16) & 0x7fff) >>> 0;
}

const FNV_32_INIT = 0x811c9dc5;
const FNV_32_PRIME = 0x01000193;
// libhashkit returns only the low 32 bits of its 64-bit FNV hashes, and the
// low 32 bits of a product depend only on the low 32 bits of its factors, so
// 32-bit arithmetic on the low halves of the 64-bit constants gives them exactly.
const FNV_64_INIT_LOW = 0x84222325; // low half of 0xcbf29ce484222325
const FNV_64_PRIME_LOW = 0x000001b3; // low half of 0x100000001b3

/**
 * Hashes `key` with libmemcached's `fnv1_32`: FNV-1, 32-bit.
 *
 * @example
 * ```ts
 * import { hashFnv1_32 } from '@clonepool/memcached';
 *
 * console.log(hashFnv1_32(new TextEncoder().encode('foo')));
 * // → 1083137555
 * ```
 */
export function hashFnv1_32(key: Uint8Array): number {
  let hash = FNV_32_INIT;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash, FNV_32_PRIME) ^ signed(key[i] as number);
  return hash >>> 0;
}

/**
 * Hashes `key` with libmemcached's `fnv1a_32`: FNV-1a, 32-bit.
 *
 * @example
 * ```ts
 * import { hashFnv1a_32 } from '@clonepool/memcached';
 *
 * console.log(hashFnv1a_32(new TextEncoder().encode('foo')));
 * // → 2851307223
 * ```
 */
export function hashFnv1a_32(key: Uint8Array): number {
  let hash = FNV_32_INIT;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ signed(key[i] as number), FNV_32_PRIME);
  return hash >>> 0;
}

/**
 * Hashes `key` with libmemcached's `fnv1_64`: FNV-1, 64-bit, of which libmemcached keeps the low 32 bits.
 *
 * @example
 * ```ts
 * import { hashFnv1_64 } from '@clonepool/memcached';
 *
 * console.log(hashFnv1_64(new TextEncoder().encode('foo')));
 * // → 1805727027
 * ```
 */
export function hashFnv1_64(key: Uint8Array): number {
  let hash = FNV_64_INIT_LOW;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash, FNV_64_PRIME_LOW) ^ signed(key[i] as number);
  return hash >>> 0;
}

/**
 * Hashes `key` with libmemcached's `fnv1a_64`, which is FNV-1a computed in 32 bits with the 64-bit constants' low halves.
 *
 * @example
 * ```ts
 * import { hashFnv1a_64 } from '@clonepool/memcached';
 *
 * console.log(hashFnv1a_64(new TextEncoder().encode('foo')));
 * // → 4275688823
 * ```
 */
export function hashFnv1a_64(key: Uint8Array): number {
  let hash = FNV_64_INIT_LOW;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ signed(key[i] as number), FNV_64_PRIME_LOW);
  return hash >>> 0;
}

const MURMUR_M = 0x5bd1e995;

/**
 * Hashes `key` with libmemcached's `murmur`: MurmurHash2, seeded with `0xdeadbeef * length`.
 *
 * @example
 * ```ts
 * import { hashMurmur } from '@clonepool/memcached';
 *
 * console.log(hashMurmur(new TextEncoder().encode('foo')));
 * // → 3303027599
 * ```
 */
export function hashMurmur(key: Uint8Array): number {
  let length = key.length;
  let h = Math.imul(0xdeadbeef, length) ^ length;
  let i = 0;
  while (length >= 4) {
    let k =
      (key[i] as number) |
      ((key[i + 1] as number) << 8) |
      ((key[i + 2] as number) << 16) |
      ((key[i + 3] as number) << 24);
    k = Math.imul(k, MURMUR_M);
    k ^= k >>> 24;
    k = Math.imul(k, MURMUR_M);
    h = Math.imul(h, MURMUR_M) ^ k;
    i += 4;
    length -= 4;
  }
  if (length > 0) {
    let k = 0;
    for (let j = length - 1; j >= 0; j--) k = (k << 8) | (key[i + j] as number);
    h = Math.imul(h ^ k, MURMUR_M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR_M);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Reads up to 4 bytes of `key` from `at`, little-endian, as libhashkit's jenkins reads its last block. */
function readLE(key: Uint8Array, at: number, count: number): number {
  let word = 0;
  for (let j = Math.min(count, 4) - 1; j >= 0; j--) word = (word << 8) | (key[at + j] as number);
  return word;
}

/**
 * Hashes `key` with libmemcached's `jenkins`: Bob Jenkins' lookup3 `hashlittle` with initial value 13.
 *
 * @example
 * ```ts
 * import { hashJenkins } from '@clonepool/memcached';
 *
 * console.log(hashJenkins(new TextEncoder().encode('foo')));
 * // → 2583187353
 * ```
 */
export function hashJenkins(key: Uint8Array): number {
  let length = key.length;
  let a = (0xdeadbeef + length + 13) | 0;
  let b = a;
  let c = a;
  let i = 0;
  while (length > 12) {
    a = (a + readLE(key, i, 4)) | 0;
    b = (b + readLE(key, i + 4, 4)) | 0;
    c = (c + readLE(key, i + 8, 4)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    length -= 12;
    i += 12;
  }
  // Zero bytes left: libhashkit returns c without the final mix.
  if (length === 0) return c >>> 0;
  a = (a + readLE(key, i, length)) | 0;
  if (length > 4) b = (b + readLE(key, i + 4, length - 4)) | 0;
  if (length > 8) c = (c + readLE(key, i + 8, length - 8)) | 0;
  // final(a, b, c)
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Every key hash by its pylibmc name.
 *
 * @example
 * ```ts
 * import { keyHashes } from '@clonepool/memcached';
 *
 * console.log(keyHashes.default(new TextEncoder().encode('foo')));
 * // → 596015325
 * ```
 */
export const keyHashes: Readonly<Record<KeyHash, HashFunction>> = Object.freeze({
  default: hashOneAtATime,
  md5: hashMd5,
  crc: hashCrc,
  fnv1_64: hashFnv1_64,
  fnv1a_64: hashFnv1a_64,
  fnv1_32: hashFnv1_32,
  fnv1a_32: hashFnv1a_32,
  murmur: hashMurmur,
  jenkins: hashJenkins,
});
