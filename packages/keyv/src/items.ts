import { InvalidValueError } from '@clonepool/memcached';

/**
 * What the store writes to memcached for one Keyv value: a short header, then
 * the string Keyv serialized, unchanged.
 *
 * ```text
 * <generation>|<deadline>|<payload>                      a plain key
 * <generation>|<deadline>|<key length>|<key><payload>    a hashed key
 * ```
 *
 * `generation` is the namespace's generation when the item was written (a
 * clear moves it on, so older items stop being read); `deadline` is when the
 * value expires, in ms since the epoch, empty when it never does; a hashed
 * key's item carries the original key, compared on every read. All of it is
 * text: memcached stores it as UTF-8 and it comes back as the same string.
 */
export function encodeItem(
  generation: string,
  deadline: number | undefined,
  hashedKey: string | undefined,
  payload: string,
): string {
  const head = `${generation}|${deadline ?? ''}|`;
  return hashedKey === undefined ? head + payload : `${head}${hashedKey.length}|${hashedKey}${payload}`;
}

/**
 * Checks that `payload` (what Keyv hands the store) is a string that comes back
 * from memcached exactly as it was.
 *
 * @throws InvalidValueError (`ERR_INVALID_VALUE`) for anything else.
 */
export function checkPayload(payload: unknown): asserts payload is string {
  if (typeof payload !== 'string') {
    throw new InvalidValueError(
      `KeyvMemcached stores the strings Keyv serializes, not ${payload === null ? 'null' : typeof payload}: keep Keyv's serialize and deserialize options on (they are by default).`,
    );
  }
  // Buffer's UTF-8 encoder writes U+FFFD for half a surrogate pair: the value would not come back as it was.
  if (!payload.isWellFormed()) {
    throw new InvalidValueError(
      'The serialized value holds a lone surrogate, which UTF-8 cannot carry; JSON.stringify escapes them, so check a custom serialize.',
    );
  }
}

/**
 * The payload of `stored` (what memcached returned for an item) if it is still
 * visible: written in `generation`, not past its deadline at `nowMs`, and, for
 * a hashed key, written for `hashedKey`. `undefined` otherwise, and for
 * anything this store did not write.
 */
export function decodeItem(
  stored: unknown,
  generation: string,
  hashedKey: string | undefined,
  nowMs: number,
): string | undefined {
  if (typeof stored !== 'string') return undefined;
  const bar = generation.length;
  // The generation first: after a clear, most reads stop here.
  if (stored.charCodeAt(bar) !== 0x7c || !stored.startsWith(generation)) return undefined;
  const end = stored.indexOf('|', bar + 1);
  if (end === -1) return undefined;
  if (end > bar + 1 && Number(stored.slice(bar + 1, end)) < nowMs) return undefined;
  if (hashedKey === undefined) return stored.slice(end + 1);
  const lengthEnd = stored.indexOf('|', end + 1);
  if (lengthEnd === -1 || Number(stored.slice(end + 1, lengthEnd)) !== hashedKey.length) return undefined;
  const keyStart = lengthEnd + 1;
  if (!stored.startsWith(hashedKey, keyStart)) return undefined;
  return stored.slice(keyStart + hashedKey.length);
}
