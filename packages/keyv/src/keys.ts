import { createHash } from 'node:crypto';
import { InvalidKeyError } from '@clonepool/memcached';

/**
 * The longest Keyv key (in bytes, namespace included) stored under its own
 * name. It leaves 50 of memcached's 250 bytes for the client's `keyPrefix`;
 * longer keys are hashed.
 *
 * @example
 * ```ts
 * import { KeyvMemcached, MAX_PLAIN_KEY_BYTES } from '@clonepool/keyv';
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * const store = new KeyvMemcached(client);
 * const longest = `doc:${'k'.repeat(MAX_PLAIN_KEY_BYTES - 4)}`;
 * await store.set(longest, 'stored under its own name');
 * await store.set(`${longest}!`, 'stored under its hash');
 * // Another client finds the first by its name; the second is under a name of 44 characters.
 * console.log(typeof (await client.get(longest)), await client.get(`${longest}!`));
 * await client.close();
 * // → string undefined
 * ```
 */
export const MAX_PLAIN_KEY_BYTES = 200;

/**
 * Keys kept as they are: printable ASCII (no space, no control character,
 * nothing memcached's text protocol could split on), not starting with `#`,
 * which marks the names this store makes itself.
 */
const PLAIN = /^[\x21\x22\x24-\x7e][\x21-\x7e]*$/;

/** The first character of every name the store makes: hashed keys and generation keys. */
const MADE = 0x23; // '#'

/**
 * The memcached key for a Keyv key. A printable ASCII key of at most
 * {@link MAX_PLAIN_KEY_BYTES} that does not start with `#` is kept as it is
 * (`keyv:user:1` is `keyv:user:1` on the server). Any other key (spaces,
 * control characters, non-ASCII text, a long or empty key, a leading `#`)
 * becomes `#` and the base64url SHA-256 of its UTF-8 bytes, 44 characters; the
 * item then carries the original key, which a read compares, so two keys can
 * never read each other's value.
 *
 * @throws InvalidKeyError (`ERR_INVALID_KEY`) for a string with a lone
 *   surrogate, which has no UTF-8 form (two such keys would hash alike), or a non-string.
 */
export function itemKey(key: unknown): string {
  if (typeof key !== 'string') throw new InvalidKeyError(`a Keyv key is a string, not ${typeof key}`);
  if (key.length <= MAX_PLAIN_KEY_BYTES && PLAIN.test(key)) return key;
  return `#${hash(key)}`;
}

/** Whether `wire` (from {@link itemKey}) is a hashed key, whose item carries the original key. */
export function isHashed(wire: string): boolean {
  return wire.charCodeAt(0) === MADE;
}

/**
 * The memcached key of a namespace's generation counter: `#g` without a
 * namespace, `#g:<namespace>` for a namespace {@link itemKey} would keep, else
 * `#g#` and the namespace's hash. None of them is ever an item's key: plain
 * item keys never start with `#`, and hashed ones have no `:` or `#` after it.
 */
export function generationKey(namespace: string | undefined): string {
  if (namespace === undefined || namespace === '') return '#g';
  if (namespace.length <= MAX_PLAIN_KEY_BYTES - 3 && PLAIN.test(namespace)) return `#g:${namespace}`;
  return `#g#${hash(namespace)}`;
}

function hash(text: string): string {
  if (!text.isWellFormed()) {
    throw new InvalidKeyError('the key holds a lone surrogate, which has no UTF-8 encoding');
  }
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}
