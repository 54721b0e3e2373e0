// append/prepend send raw bytes that memcached glues onto the stored data, keeping the item's flags:
// they must never compress or re-flag what they send, and a client that may have compressed the
// item itself must not append to it at all.
import { describe, expect, it } from 'vitest';
import { Client, Flags } from '../src/index.ts';
import { ownServer, rawGet, rawSet, sharedClient, track } from './support.ts';

describe('append and prepend', () => {
  it('refuse with ERR_APPEND_UNSUPPORTED on a client with compressionThreshold, and the item stays intact', async () => {
    const prefix = `ap${process.pid}${Math.random().toString(36).slice(2, 6)}:`;
    const plain = sharedClient({ keyPrefix: prefix });
    const compressing = sharedClient({ keyPrefix: prefix, compressionThreshold: 100 });
    await plain.set('log', 'log:');
    for (const run of [
      () => compressing.append('log', 'x'.repeat(200)),
      () => compressing.prepend('log', 'x'.repeat(200)),
      () => compressing.append('log', 'short'),
      () => compressing.append('log', Buffer.from('bytes')),
    ]) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_APPEND_UNSUPPORTED' });
      expect((error as Error).message).toMatch(/compressionThreshold/);
    }
    expect(await plain.get('log')).toBe('log:');
    expect(await rawGet(plain.servers[0]!, `${prefix}log`)).toEqual({ flags: Flags.TEXT, length: 4 });
    // The connection is untouched: later commands work.
    expect(await compressing.get('log')).toBe('log:');
  });

  it('send a string as its UTF-8 bytes and bytes as they are, whatever their size, keeping the flags', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    await client.set('text', 'log:');
    expect(await client.append('text', 'é'.repeat(300))).toBe(true);
    expect(await client.prepend('text', '>')).toBe(true);
    expect(await client.get('text')).toBe(`>log:${'é'.repeat(300)}`);
    expect(await rawGet(server.address, 'text')).toEqual({ flags: Flags.TEXT, length: 1 + 4 + 600 });
    await client.set('bytes', Buffer.from([1, 2]));
    expect(await client.append('bytes', new Uint8Array(20_000).fill(3))).toBe(true);
    const bytes = (await client.get('bytes')) as Buffer;
    expect(bytes.length).toBe(20_002);
    expect([bytes[0], bytes[1], bytes[2], bytes.at(-1)]).toEqual([1, 2, 3, 3]);
    expect((await rawGet(server.address, 'bytes')).flags).toBe(Flags.NONE);
  });

  it.each([
    ['a number', 42],
    ['a bigint', 1n],
    ['a boolean', true],
    ['null', null],
    ['an object', { a: 1 }],
    ['an array', ['x']],
  ])('refuse %s with ERR_INVALID_VALUE before sending: only strings and bytes have a raw form', async (_, value) => {
    const client = sharedClient();
    await client.set('typed', 'kept');
    // As JavaScript callers (or a cast) can pass them.
    const data = value as unknown as string;
    await expect(client.append('typed', data)).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
    await expect(client.prepend('typed', data)).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
    expect(await client.get('typed')).toBe('kept');
  });

  it('refuse a chunk over maxValueBytes with ERR_VALUE_TOO_LARGE', async () => {
    const client = sharedClient({ maxValueBytes: 10 });
    await client.set('small', 'a');
    await expect(client.append('small', 'x'.repeat(11))).rejects.toMatchObject({ code: 'ERR_VALUE_TOO_LARGE' });
    await expect(client.append('small', Buffer.alloc(11))).rejects.toMatchObject({ code: 'ERR_VALUE_TOO_LARGE' });
    expect(await client.get('small')).toBe('a');
  });
});

describe('reading an item something was appended to', () => {
  it('a compressed item with bytes after its zlib stream rejects with ERR_INVALID_VALUE, not a silently shortened value', async () => {
    const server = await ownServer();
    const compressing = track(new Client(server.address, { compressionThreshold: 100 }));
    const plain = track(new Client(server.address));
    const text = 'compressed '.repeat(100);
    await compressing.set('z', text);
    expect((await rawGet(server.address, 'z')).flags).toBe(Flags.TEXT | Flags.ZLIB);
    // Another client (or this one without a threshold) appends, as memcached allows.
    expect(await plain.append('z', ' and a tail')).toBe(true);
    for (const reader of [compressing, plain]) {
      const error = await reader.get('z').then(
        (value) => value,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_INVALID_VALUE', message: expect.stringMatching(/after/) });
      await expect(reader.getMulti(['z'])).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
      // The connection stays in step.
      expect(await reader.set('after', 1)).toBe(true);
      expect(await reader.get('after')).toBe(1);
    }
  });

  it('a whole zlib stream still reads back, also when pylibmc-style flags were written raw', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    const { deflateSync } = await import('node:zlib');
    await rawSet(server.address, 'raw', Flags.TEXT | Flags.ZLIB, deflateSync(Buffer.from('inflated')));
    expect(await client.get('raw')).toBe('inflated');
  });
});
