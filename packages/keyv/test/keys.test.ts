import { MAX_KEY_BYTES } from '@clonepool/memcached';
import fc from 'fast-check';
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { MAX_PLAIN_KEY_BYTES } from '../src/index.ts';
import { generationKey, isHashed, itemKey } from '../src/keys.ts';
import { sharedClient, sharedStore } from './support.ts';

/** What memcached's text protocol takes as a key: 1 to 250 bytes, no space or control character. */
const validOnTheWire = (key: string, prefixBytes: number) =>
  /^[\x21-\x7e]+$/.test(key) && key.length + prefixBytes <= MAX_KEY_BYTES;

describe('itemKey', () => {
  it('keeps printable ASCII keys of up to 200 bytes as they are', () => {
    expect(itemKey('keyv:user:1')).toBe('keyv:user:1');
    expect(itemKey(`keyv:${'x'.repeat(MAX_PLAIN_KEY_BYTES - 5)}`)).toHaveLength(MAX_PLAIN_KEY_BYTES);
    expect(itemKey("keyv:'")).toBe("keyv:'");
  });

  it('hashes keys with spaces, control characters, non-ASCII text, a leading # or too many bytes', () => {
    for (const key of [
      'keyv:two words',
      'keyv:line\nbreak',
      'keyv:tab\t',
      'keyv:café',
      'keyv:🔑',
      '#keyv:looks-made',
      '',
      `keyv:${'x'.repeat(MAX_PLAIN_KEY_BYTES - 4)}`,
    ]) {
      const wire = itemKey(key);
      expect(wire, key).toMatch(/^#[A-Za-z0-9_-]{43}$/);
      expect(isHashed(wire)).toBe(true);
    }
    expect(isHashed(itemKey('keyv:plain'))).toBe(false);
  });

  it('refuses a key with a lone surrogate (no UTF-8 form) and a non-string', () => {
    expect(() => itemKey('keyv:\ud800')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_KEY' }));
    expect(() => itemKey(42)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_KEY' }));
  });

  it('maps every string to a key memcached takes, with 50 bytes to spare for a keyPrefix, one to one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ maxLength: 300 }), (a, b) => {
        const [wireA, wireB] = [itemKey(a), itemKey(b)];
        expect(validOnTheWire(wireA, MAX_KEY_BYTES - MAX_PLAIN_KEY_BYTES)).toBe(true);
        // A plain key is its own name; distinct keys only share a name through a SHA-256 collision.
        if (!isHashed(wireA)) expect(wireA).toBe(a);
        if (a !== b) expect(wireA).not.toBe(wireB);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('generationKey', () => {
  it('names each namespace apart from every item key', () => {
    expect(generationKey(undefined)).toBe('#g');
    expect(generationKey('')).toBe('#g');
    expect(generationKey('keyv')).toBe('#g:keyv');
    expect(generationKey('my cache')).toMatch(/^#g#[A-Za-z0-9_-]{43}$/);
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
        fc.string({ maxLength: 300 }),
        (ns, key) => {
          const wire = generationKey(ns);
          expect(validOnTheWire(wire, MAX_KEY_BYTES - MAX_PLAIN_KEY_BYTES)).toBe(true);
          expect(wire).not.toBe(itemKey(key));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('keys through Keyv and a real memcached', () => {
  it('stores and reads keys memcached could not hold itself', async () => {
    const keyv = new Keyv({ store: sharedStore() });
    const keys = ['two words', 'line\nbreak\r\n', 'café', '🔑', '#hash-like', '', 'k'.repeat(10_000), 'a'.repeat(250)];
    for (const [i, key] of keys.entries()) expect(await keyv.set(key, i)).toBe(true);
    for (const [i, key] of keys.entries()) expect(await keyv.get(key)).toBe(i);
    expect(await keyv.get(keys)).toEqual(keys.map((_, i) => i));
    expect(await keyv.has('two words')).toBe(true);
    expect(await keyv.delete('two words')).toBe(true);
    expect(await keyv.get('two words')).toBeUndefined();
  });

  it('stores a short printable key under its own name, readable by any memcached client', async () => {
    const client = sharedClient();
    await sharedStore(client).set('keyv:readable', '"v"');
    expect(await client.get('keyv:readable')).toMatch(/^\d+\|\|"v"$/);
  });

  it('never reads a value written for another key under the same hash', async () => {
    // A SHA-256 collision cannot be found; an item put under a key's hash for another key (of the same
    // length, so only the key itself tells them apart) stands in for one.
    const client = sharedClient();
    const store = sharedStore(client);
    await store.set('keyv:key two', '"theirs"');
    await store.set('keyv:key one', '"mine"');
    const theirs = await client.get(itemKey('keyv:key two'));
    await client.set(itemKey('keyv:key one'), theirs);
    expect(await store.get('keyv:key one')).toBeUndefined();
    expect(await store.has('keyv:key one')).toBe(false);
    expect(await store.getMany(['keyv:key one', 'keyv:key two'])).toEqual([undefined, '"theirs"']);
    expect(await store.delete('keyv:key one')).toBe(false);
  });

  it("refuses a lone surrogate key through Keyv's error event, sending nothing", async () => {
    const keyv = new Keyv({ store: sharedStore() });
    const errors: unknown[] = [];
    keyv.on('error', (error) => errors.push(error));
    expect(await keyv.set('\udc00', 1)).toBe(false);
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_INVALID_KEY' })]);
  });

  it('keeps a hashed key within the limit under a 50-byte client keyPrefix', async () => {
    const client = sharedClient({ keyPrefix: `${'p'.repeat(49)}:` });
    const keyv = new Keyv({ store: sharedStore(client) });
    const long = 'x'.repeat(MAX_PLAIN_KEY_BYTES - 'keyv:'.length);
    expect(await keyv.set(long, 'fits')).toBe(true);
    expect(await keyv.set(`${long}y`, 'hashed')).toBe(true);
    expect([await keyv.get(long), await keyv.get(`${long}y`)]).toEqual(['fits', 'hashed']);
  });
});
