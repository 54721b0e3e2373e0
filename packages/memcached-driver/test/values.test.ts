import { describe, expect, it } from 'vitest';
import { Client, DEFAULT_MAX_VALUE_BYTES, Flags } from '../src/index.ts';
import { ownServer, rawGet, rawSet, sharedClient, track } from './support.ts';

describe('values', () => {
  const client = sharedClient();

  it.each([
    ['a string', 'héllo wörld ✓'],
    ['an empty string', ''],
    ['an integer', 42],
    ['a negative integer', -7],
    ['zero', 0],
    ['a float', 1.5],
    ['a bigint', 12345678901234567890123n],
    ['a small bigint', 5n],
    ['true', true],
    ['false', false],
    ['null', null],
    ['an object', { a: 1, b: [true, null, 'x'] }],
    ['an array', [1, 'two', { three: 3 }]],
  ])('a get returns what a set stored: %s', async (_, value) => {
    await client.set('v', value);
    expect(await client.get('v')).toEqual(value);
  });

  it('bytes come back as a Buffer with the same content', async () => {
    const bytes = new Uint8Array([0, 1, 2, 255]);
    await client.set('bytes', bytes);
    const back = await client.get('bytes');
    expect(Buffer.isBuffer(back)).toBe(true);
    expect([...(back as Buffer)]).toEqual([0, 1, 2, 255]);
  });

  it('stores 0-byte values', async () => {
    await client.set('empty', Buffer.alloc(0));
    expect(await client.get('empty')).toEqual(Buffer.alloc(0));
  });

  it('binary data holding CR, LF and \\r\\nEND\\r\\n survives, alone and among other replies', async () => {
    const nasty = Buffer.from('a\r\nEND\r\nVALUE x 0 3\r\nabc\r\n\r\n\n\r\0END');
    await client.set('nasty', nasty);
    await client.set('nasty-text', nasty.toString('latin1'));
    expect(await client.get('nasty')).toEqual(nasty);
    const hits = await client.getMulti(['nasty', 'nasty-text', 'nasty']);
    expect(hits.get('nasty')).toEqual(nasty);
    expect(hits.get('nasty-text')).toBe(nasty.toString('latin1'));
  });

  it('values near the size limit are stored; one byte more is refused before sending', async () => {
    const limit = track(new Client(client.servers[0]!));
    const big = Buffer.alloc(DEFAULT_MAX_VALUE_BYTES, 0x61);
    big[0] = 13;
    big[big.length - 1] = 10;
    expect(await limit.set('x'.repeat(250), big)).toBe(true);
    expect(big.equals((await limit.get('x'.repeat(250))) as Buffer)).toBe(true);
    await expect(limit.set('too-big', Buffer.alloc(DEFAULT_MAX_VALUE_BYTES + 1))).rejects.toMatchObject({
      code: 'ERR_VALUE_TOO_LARGE',
    });
    expect(await limit.get('too-big')).toBeUndefined();
  });

  it("compresses values from compressionThreshold bytes with pylibmc's zlib flag, and reads them back", async () => {
    const prefix = `zc${process.pid}:`;
    const compressing = sharedClient({ compressionThreshold: 100, keyPrefix: prefix });
    const plain = sharedClient({ keyPrefix: prefix });
    const text = 'compress me '.repeat(1000);
    await compressing.set('z', text);
    expect(await compressing.get('z')).toBe(text);
    // Any client reads it, whatever its own threshold.
    expect(await plain.get('z')).toBe(text);
    const raw = await rawGet(compressing.servers[0]!, `${prefix}z`);
    expect(raw.flags).toBe(Flags.TEXT | Flags.ZLIB);
    expect(raw.length).toBeLessThan(text.length / 10);
    // Below the threshold, or when compression would not help, values go as they are.
    await compressing.set('small', 'tiny');
    expect((await rawGet(compressing.servers[0]!, `${prefix}small`)).flags).toBe(Flags.TEXT);
    const random = Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 7919) % 251));
    await compressing.set('random', random);
    expect(await compressing.get('random')).toEqual(random);
  });

  it('maxValueBytes limits the serialized size before compression too: the client writes nothing it would refuse to read', async () => {
    const small = sharedClient({ maxValueBytes: 1000, compressionThreshold: 1 });
    const error = await small.set('fits', 'a'.repeat(5000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_VALUE_TOO_LARGE', message: expect.stringContaining('maxValueBytes') });
    expect(await small.get('fits')).toBeUndefined();
    // At the limit it is stored, compressed, and reads back.
    expect(await small.set('fits', 'a'.repeat(1000))).toBe(true);
    expect(await small.get('fits')).toBe('a'.repeat(1000));
  });

  it('a stored zlib bomb is refused with ERR_VALUE_TOO_LARGE naming maxValueBytes, and the connection stays in step', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    // 100 MB of zeros deflate to ~100 KB: an item memcached takes, that would inflate to 100 MB.
    const { deflateSync } = await import('node:zlib');
    const bomb = deflateSync(Buffer.alloc(100 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(DEFAULT_MAX_VALUE_BYTES);
    await rawSet(server.address, 'bomb-text', Flags.TEXT | Flags.ZLIB, bomb);
    await rawSet(server.address, 'bomb-bytes', Flags.ZLIB, bomb);
    await client.set('fine', 'ok');
    const before = process.memoryUsage().arrayBuffers;
    const results = await Promise.allSettled([
      client.get('bomb-text'),
      client.get('fine'),
      client.gets('bomb-bytes'),
      client.getMulti(['fine', 'bomb-bytes']),
      client.get('fine'),
    ]);
    // Inflating stopped at the limit: nothing near 100 MB was allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * 1024 * 1024);
    for (const i of [0, 2, 3]) {
      expect(results[i]).toMatchObject({
        status: 'rejected',
        reason: { code: 'ERR_VALUE_TOO_LARGE', message: expect.stringContaining('maxValueBytes') },
      });
    }
    expect(results[1]).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(results[4]).toEqual({ status: 'fulfilled', value: 'ok' });
  });

  it('a compressed value inflating to more than maxValueBytes is refused; one inflating to the limit is read', async () => {
    const server = await ownServer();
    const { deflateSync } = await import('node:zlib');
    await rawSet(server.address, 'z', Flags.TEXT | Flags.ZLIB, deflateSync(Buffer.from('a'.repeat(2000))));
    const small = track(new Client(server.address, { maxValueBytes: 1999 }));
    await expect(small.get('z')).rejects.toMatchObject({ code: 'ERR_VALUE_TOO_LARGE' });
    const enough = track(new Client(server.address, { maxValueBytes: 2000 }));
    expect(await enough.get('z')).toBe('a'.repeat(2000));
  });

  it('a string with a lone surrogate is refused with ERR_INVALID_VALUE before sending, on every write path', async () => {
    const lone = ['a\ud800b', '\udc00', 'end\ud83d'];
    await client.set('surrogate', 'kept');
    const item = await client.gets('surrogate');
    for (const value of lone) {
      for (const write of [
        () => client.set('surrogate', value),
        () => client.add('surrogate-new', value),
        () => client.replace('surrogate', value),
        () => client.cas('surrogate', value, item!.cas),
        () => client.append('surrogate', value),
        () => client.prepend('surrogate', value),
        () => client.setMulti({ 'surrogate-ok': 'fine', surrogate: value }),
        () => client.set('surrogate', value, { noreply: true }),
      ]) {
        await expect(write()).rejects.toMatchObject({
          code: 'ERR_INVALID_VALUE',
          message: expect.stringMatching(/surrogate/),
        });
      }
    }
    // Nothing was sent: not even setMulti's well-formed entry.
    expect(await client.getMulti(['surrogate', 'surrogate-new', 'surrogate-ok'])).toEqual(
      new Map([['surrogate', 'kept']]),
    );
    // Well-formed pairs are fine.
    expect(await client.set('surrogate', 'a\ud83d\ude00b')).toBe(true);
    expect(await client.get('surrogate')).toBe('a\ud83d\ude00b');
  });

  it('JSON values holding lone surrogates round-trip exactly (JSON.stringify escapes them)', async () => {
    const value = { text: 'a\ud800b', list: ['\udc00', 'x\ud83d'] };
    await client.set('json-surrogate', value);
    expect(await client.get('json-surrogate')).toEqual(value);
    await client.setMulti({ 'json-surrogate-2': ['\ud800'] });
    expect(await client.get('json-surrogate-2')).toEqual(['\ud800']);
  });

  it('a value that fails to inflate rejects that get only', async () => {
    const server = await ownServer();
    const c = track(new Client(server.address));
    await rawSet(server.address, 'badzlib', Flags.ZLIB, Buffer.from('not zlib'));
    await rawSet(server.address, 'badjson', Flags.JSON, Buffer.from('{'));
    await expect(c.get('badzlib')).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
    await expect(c.get('badjson')).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
    await c.set('fine', 1);
    expect(await c.get('fine')).toBe(1);
  });
});
