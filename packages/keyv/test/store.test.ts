import { Client } from '@clonepool/memcached';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import Keyv, { type KeyvOptions, type KeyvStoreAdapter } from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyvMemcached } from '../src/index.ts';
import { commandsOf, sharedClient, sharedServer, sharedStore, track, uniquePrefix } from './support.ts';

describe('values', () => {
  it('come back exactly as Keyv stored them: non-ASCII, emoji, quotes, control characters, large', async () => {
    const keyv = new Keyv({ store: sharedStore() });
    const values = [
      'héllo wörld',
      '日本語のテキスト',
      '👩‍👩‍👧 and 🔑',
      '"\'`\\',
      'line\r\nbreak\u0000nul',
      '|pipes|in|front',
      'x'.repeat(500_000),
      { nested: ['ünïcödé', 1.5, null, true] },
      Buffer.from([0, 255, 128]),
    ];
    for (const [i, value] of values.entries()) expect(await keyv.set(`v${i}`, value)).toBe(true);
    for (const [i, value] of values.entries()) expect(await keyv.get(`v${i}`)).toEqual(value);
  });

  it("are the strings Keyv serialized, behind the store's header", async () => {
    const client = sharedClient();
    const keyv = new Keyv({ store: sharedStore(client) });
    await keyv.set('k', 'é');
    expect(await client.get('keyv:k')).toMatch(/^\d+\|\|\{"value":"é"\}$/);
  });

  it("refuse what is not a string (Keyv's serialization turned off), before anything is sent", async () => {
    const store = sharedStore();
    // Keyv 5 passes its { value, expires } object through when serialize is unset (its types do not say so).
    const keyv = new Keyv({
      store,
      serialize: undefined,
      deserialize: undefined,
      throwOnErrors: true,
    } as unknown as KeyvOptions);
    const commands = await commandsOf(() =>
      expect(keyv.set('k', { a: 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' }),
    );
    expect(commands).toEqual([]);
  });

  it('refuse a lone surrogate a custom serializer let through, which UTF-8 would turn into U+FFFD', async () => {
    const store = sharedStore();
    await expect(store.set('keyv:k', 'a\ud800b')).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
    await expect(
      store.setMany([
        { key: 'keyv:k', value: 'ok' },
        { key: 'keyv:l', value: '\udfff' },
      ]),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_VALUE',
    });
    expect(await store.get('keyv:k')).toBeUndefined();
  });

  it('larger than the client takes reject with ERR_VALUE_TOO_LARGE', async () => {
    const store = sharedStore(sharedClient({ maxValueBytes: 1000 }));
    await expect(store.set('keyv:big', 'x'.repeat(1000))).rejects.toMatchObject({ code: 'ERR_VALUE_TOO_LARGE' });
  });
});

describe('multi-key operations', () => {
  it("use the client's getMulti, setMulti (one per TTL) and deleteMulti", async () => {
    const store = sharedStore();
    await store.clear(); // the namespace's generation exists: no `add` below
    const entries = [
      { key: 'keyv:a', value: '1', ttl: 60_000 },
      { key: 'keyv:b c', value: '2', ttl: 60_000 },
      { key: 'keyv:d', value: '3' },
    ];
    expect(await commandsOf(() => store.setMany(entries))).toEqual(['get', 'setMulti', 'setMulti']);
    expect(await commandsOf(() => store.getMany(['keyv:a', 'keyv:b c', 'keyv:d', 'keyv:x']))).toEqual(['getMulti']);
    expect(await store.getMany(['keyv:a', 'keyv:b c', 'keyv:d', 'keyv:x'])).toEqual(['1', '2', '3', undefined]);
    expect(await store.hasMany(['keyv:a', 'keyv:x'])).toEqual([true, false]);
    expect(await commandsOf(() => store.deleteMany(['keyv:a', 'keyv:b c']))).toEqual(['getMulti', 'deleteMulti']);
    expect(await store.getMany(['keyv:a', 'keyv:b c', 'keyv:d'])).toEqual([undefined, undefined, '3']);
  });

  it('answer in the order of the keys, duplicates included', async () => {
    const store = sharedStore();
    await store.setMany([
      { key: 'keyv:1', value: 'one' },
      { key: 'keyv:2', value: 'two' },
    ]);
    expect(await store.getMany(['keyv:2', 'keyv:1', 'keyv:2', 'keyv:none'])).toEqual(['two', 'one', 'two', undefined]);
  });

  it('resolve at once for no keys, sending nothing', async () => {
    const store = sharedStore();
    const commands = await commandsOf(async () => {
      expect(await store.getMany([])).toEqual([]);
      expect(await store.setMany([])).toEqual([]);
      expect(await store.deleteMany([])).toBe(true);
    });
    expect(commands).toEqual([]);
  });

  it('deleteMany is true only when every key held a value', async () => {
    const store = sharedStore();
    await store.set('keyv:here', '1');
    expect(await store.deleteMany(['keyv:here', 'keyv:absent'])).toBe(false);
    expect(await store.get('keyv:here')).toBeUndefined();
  });

  it("give Keyv's setMany a result per entry", async () => {
    const keyv = new Keyv({ store: sharedStore() });
    expect(
      await keyv.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2, ttl: 1_000 },
      ]),
    ).toEqual([true, true]);
    expect(await keyv.getMany(['a', 'b'])).toEqual([1, 2]);
  });

  it('refuse bad arguments with a typed error before anything is sent', async () => {
    const store = sharedStore();
    const commands = await commandsOf(async () => {
      await expect(store.getMany('keyv:a' as unknown as string[])).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
      });
      await expect(store.setMany([{ key: 'keyv:a', value: '1', ttl: Number.NaN }])).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
      });
      await expect(store.set('keyv:a', '1', 'soon' as unknown as number)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
      });
      await expect(store.deleteMany([1 as unknown as string])).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    });
    expect(commands).toEqual([]);
  });
});

describe('what memcached cannot do', () => {
  it("has no iterator: memcached cannot list keys, so Keyv's iterator() is left undefined", async () => {
    // @keyv/test-suite keeps its iterator tests out of the default suite (keyvIteratorTests); run against
    // this store, all four fail with "keyv.iterator is not a function", as they do for every store without one.
    const keyv = new Keyv({ store: sharedStore() });
    await keyv.set('k', 'v');
    expect(keyv.iterator).toBeUndefined();
    expect('iterator' in keyv.store).toBe(false);
  });
});

describe('the client', () => {
  it('is closed on disconnect() when the store made it', async () => {
    const store = new KeyvMemcached(sharedServer(), { keyPrefix: uniquePrefix(), timeoutMs: 500 });
    await store.set('keyv:k', 'v');
    expect(store.client.isClosed).toBe(false);
    await Promise.all([store.disconnect(), store.disconnect()]);
    expect(store.client.isClosed).toBe(true);
    await expect(store.get('keyv:k')).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
  });

  it('is left open on disconnect() when it was given, and its error listener removed', async () => {
    const client = sharedClient();
    const before = client.listenerCount('error');
    const store = new KeyvMemcached(client);
    expect(client.listenerCount('error')).toBe(before + 1);
    await store.disconnect();
    expect(client.listenerCount('error')).toBe(before);
    expect(client.isClosed).toBe(false);
    await expect(store.set('keyv:k', 'v')).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    expect(await client.set('still', 'open')).toBe(true);
  });

  it("closes with Keyv's and cache-manager's disconnect(), which call the store's", async () => {
    const store = new KeyvMemcached(sharedServer());
    await new Keyv({ store }).disconnect();
    expect(store.client.isClosed).toBe(true);
  });

  it('refuses options beside a Client, and anything that is neither a Client nor servers', () => {
    const client = sharedClient();
    expect(() => Reflect.construct(KeyvMemcached, [client, { timeoutMs: 5 }])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => new KeyvMemcached({ url: 'localhost' } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => new KeyvMemcached('localhost', { timeout: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('passes connection errors to Keyv as error events, and the failed reads are misses', async () => {
    const store = new KeyvMemcached('127.0.0.1:9', { retryTimeoutMs: 0 });
    const keyv = new Keyv({ store });
    const errors: unknown[] = [];
    keyv.on('error', (error) => errors.push(error));
    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.set('k', 'v')).toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const error of errors) expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    await keyv.disconnect();
  });

  it('emits no error, and throws nothing, with nobody listening', async () => {
    const store = new KeyvMemcached('127.0.0.1:9');
    await expect(store.get('keyv:k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    await store.disconnect();
  });

  it("is a KeyvStoreAdapter by Keyv's own type", () => {
    const adapter: KeyvStoreAdapter = sharedStore();
    expect(new Keyv(adapter).store).toBe(adapter);
  });
});

describe('over three servers', () => {
  let servers: TestMemcached[] = [];
  beforeAll(async () => {
    servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('spreads the items, keeps one generation per namespace, and clears all of them', async () => {
    const store = track(
      new KeyvMemcached(
        servers.map((server) => server.address),
        { distribution: 'ketama' },
      ),
    );
    const keyv = new Keyv({ store });
    const keys = Array.from({ length: 60 }, (_, i) => `item ${i}`);
    await keyv.setMany(keys.map((key, i) => ({ key, value: i })));
    expect(await keyv.get(keys)).toEqual(keys.map((_, i) => i));
    const perServer = await Promise.all(
      servers.map(async (server) => {
        const client = new Client(server.address);
        const stats = [...(await client.stats()).values()][0]!;
        await client.close();
        return Number(stats.curr_items);
      }),
    );
    expect(perServer.filter((items) => items > 0)).toHaveLength(3);
    await keyv.clear();
    expect(await keyv.get(keys)).toEqual(keys.map(() => undefined));
  });
});
