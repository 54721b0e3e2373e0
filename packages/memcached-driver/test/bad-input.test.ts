import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import { ownServer, serverStats, sleep, track } from './support.ts';

/**
 * Each bad input must reject with a typed error before anything is written. The
 * proof is memcached's own `bytes_read` counter: between two `stats` calls it grows
 * by exactly the 7 bytes of the second `stats\r\n` when nothing else was sent.
 */
describe('bad input is refused with a typed error and nothing is sent', () => {
  let address = '';
  let client: Client;
  let prefixed: Client;
  beforeAll(async () => {
    address = (await ownServer()).address;
    client = track(new Client(address));
    prefixed = track(new Client(address, { keyPrefix: 'p'.repeat(10) }));
    await client.set('kept', 'intact');
    await prefixed.set('kept', 'intact too');
  });

  async function expectNothingSent(attempt: () => Promise<unknown>, code: string): Promise<void> {
    const before = Number((await serverStats(address)).bytes_read);
    await expect(attempt()).rejects.toMatchObject({ code });
    await sleep(5); // a write, had one been queued, leaves on the next tick
    const after = Number((await serverStats(address)).bytes_read);
    expect(after - before).toBe(7);
    // The connection is still in step and stored data is untouched.
    expect(await client.get('kept')).toBe('intact');
    expect(await prefixed.get('kept')).toBe('intact too');
  }

  const badKeys: [string, unknown][] = [
    ['a space', 'a b'],
    ['CR', 'a\r'],
    ['LF', 'a\nget x'],
    ['NUL', 'a\0'],
    ['a control character', 'a\x01'],
    ['DEL', 'a\x7f'],
    ['an empty string', ''],
    ['251 ASCII bytes', 'x'.repeat(251)],
    ['126 two-byte characters (252 bytes)', 'é'.repeat(126)],
    ['a lone surrogate', 'a\ud800'],
    ['bytes with a space', Buffer.from('a b')],
    ['empty bytes', new Uint8Array(0)],
    ['a number', 1],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
    ['an array', ['a']],
    ['a symbol', Symbol('k')],
  ];

  it.each(badKeys)('a key that is %s: ERR_INVALID_KEY, for every keyed command', async (_, key) => {
    const k = key as string;
    for (const attempt of [
      () => client.get(k),
      () => client.gets(k),
      () => client.gat(k, 1),
      () => client.set(k, 1),
      () => client.add(k, 1),
      () => client.cas(k, 1, 1n),
      () => client.delete(k),
      () => client.incr(k),
      () => client.touch(k, 1),
      () => client.getMulti(['ok', k]),
      () =>
        client.setMulti([
          ['ok', 1],
          [k, 2],
        ]),
      () => client.deleteMulti(['ok', k]),
    ]) {
      await expectNothingSent(attempt, 'ERR_INVALID_KEY');
    }
  });

  it('counts the key prefix toward the 250 bytes', async () => {
    expect(await prefixed.set('k'.repeat(240), 1)).toBe(true);
    await expectNothingSent(() => prefixed.set('k'.repeat(241), 1), 'ERR_INVALID_KEY');
    await expectNothingSent(() => prefixed.get('é'.repeat(121)), 'ERR_INVALID_KEY');
    expect(await client.set('é'.repeat(125), 'fits')).toBe(true);
    expect(await client.get('é'.repeat(125))).toBe('fits');
  });

  const circular: Record<string, unknown> = {};
  circular.self = circular;
  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('v')],
    ['undefined', undefined],
    ['a circular object', circular],
    ['a Map', new Map([[1, 2]])],
    ['a Date', new Date()],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an object holding a bigint', { n: 1n }],
  ])('a value that is %s: ERR_INVALID_VALUE', async (_, value) => {
    await expectNothingSent(() => client.set('kept', value), 'ERR_INVALID_VALUE');
    await expectNothingSent(
      () =>
        client.setMulti([
          ['other', 1],
          ['kept', value],
        ]),
      'ERR_INVALID_VALUE',
    );
  });

  it('a value over maxValueBytes: ERR_VALUE_TOO_LARGE', async () => {
    const small = track(new Client(address, { maxValueBytes: 10 }));
    await expectNothingSent(() => small.set('kept', 'x'.repeat(11)), 'ERR_VALUE_TOO_LARGE');
    await expectNothingSent(() => small.set('kept', Buffer.alloc(11)), 'ERR_VALUE_TOO_LARGE');
    await expectNothingSent(() => small.set('kept', 'é'.repeat(6)), 'ERR_VALUE_TOO_LARGE'); // 12 bytes
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['a string', '10'],
    ['past 2^31-1', 2 ** 31],
    // A TTL over 30 days is sent as now + ttl, which must not pass memcached's 32-bit exptime (2038).
    ['ending after 2^31-1 as a Unix time', 2 ** 31 - Math.floor(Date.now() / 1000)],
  ])('a TTL that is %s: ERR_INVALID_ARG_VALUE', async (_, ttl) => {
    const t = ttl as number;
    await expectNothingSent(() => client.set('kept', 1, { ttl: t }), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.setMulti({ kept: 1 }, { ttl: t }), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.append('kept', '!', { ttl: t }), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.gats('kept', t), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.touch('kept', t), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.gat('kept', t), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.flushAll(t), 'ERR_INVALID_ARG_VALUE');
  });

  it.each([
    ['negative', -1],
    ['a negative bigint', -1n],
    ['fractional', 0.5],
    ['past 2^53 as a number', 2 ** 53],
    ['past 2^64-1', 2n ** 64n],
    ['a string', '1'],
  ])('an incr/decr delta that is %s: ERR_INVALID_ARG_VALUE', async (_, delta) => {
    const d = delta as number;
    await expectNothingSent(() => client.incr('kept', d), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.decr('kept', d), 'ERR_INVALID_ARG_VALUE');
  });

  it('a bad CAS token, write options or stats argument: ERR_INVALID_ARG_VALUE', async () => {
    await expectNothingSent(() => client.cas('kept', 1, -1n), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.cas('kept', 1, 2n ** 64n), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.cas('kept', 1, 5 as unknown as bigint), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(
      () => client.set('kept', 1, { noreply: 'yes' as unknown as boolean }),
      'ERR_INVALID_ARG_VALUE',
    );
    await expectNothingSent(() => client.stats('items\r\nflush_all'), 'ERR_INVALID_ARG_VALUE');
    await expectNothingSent(() => client.getMulti('abc' as unknown as string[]), 'ERR_INVALID_ARG_VALUE');
  });

  it('property: any string key either round-trips or is refused with ERR_INVALID_KEY, and nothing leaks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 130 }), async (key) => {
        const bytes = Buffer.byteLength(key);
        const valid =
          bytes >= 1 &&
          bytes <= 250 &&
          ![...key].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f) &&
          (key as unknown as { isWellFormed(): boolean }).isWellFormed();
        if (valid) {
          expect(await client.set(key, key)).toBe(true);
          expect(await client.get(key)).toBe(key);
        } else {
          await expect(client.set(key, key)).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
        }
        expect(await client.get('kept')).toBe('intact');
      }),
      { numRuns: 300, verbose: true },
    );
  });
});
