import { Client } from '@clonepool/memcached';
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { KeyvMemcached } from '../src/index.ts';
import { generationKey } from '../src/keys.ts';
import { commandsOf, sharedClient, sharedServer, sharedStore, track, uniquePrefix } from './support.ts';

describe('clear()', () => {
  it('hides every value of its namespace and leaves other namespaces and other data alone', async () => {
    const client = sharedClient();
    const users = new Keyv({ store: sharedStore(client), namespace: 'users' });
    const pages = new Keyv({ store: sharedStore(client), namespace: 'pages' });
    await users.set('1', 'ada');
    await users.set('2', 'grace');
    await pages.set('1', 'home');
    await client.set('not-keyv', 'kept');
    await users.clear();
    expect(await users.get(['1', '2'])).toEqual([undefined, undefined]);
    expect(await users.has('1')).toBe(false);
    expect(await users.delete('1')).toBe(false);
    expect(await pages.get('1')).toBe('home');
    expect(await client.get('not-keyv')).toBe('kept');
    await users.set('1', 'again');
    expect(await users.get('1')).toBe('again');
  });

  it('costs one incr, whatever the namespace holds', async () => {
    const store = sharedStore();
    await store.setMany(Array.from({ length: 500 }, (_, i) => ({ key: `keyv:${i}`, value: String(i) })));
    expect(await commandsOf(() => store.clear())).toEqual(['incr']);
  });

  it('is seen by another process on its very next operation', async () => {
    // Two clients: two connections, as two processes would have.
    const prefix = uniquePrefix();
    const here = sharedStore(sharedClient({ keyPrefix: prefix }));
    const there = sharedStore(sharedClient({ keyPrefix: prefix }));
    await here.set('keyv:k', 'v');
    expect(await there.get('keyv:k')).toBe('v');
    await there.clear();
    expect(await here.get('keyv:k')).toBeUndefined();
    expect(await here.getMany(['keyv:k'])).toEqual([undefined]);
    expect(await here.has('keyv:k')).toBe(false);
    expect(await here.delete('keyv:k')).toBe(false);
  });

  it("keeps a write made after another process's clear, though it went out in the old generation", async () => {
    const prefix = uniquePrefix();
    const here = sharedStore(sharedClient({ keyPrefix: prefix }));
    const there = sharedStore(sharedClient({ keyPrefix: prefix }));
    await here.set('keyv:warm', 'v'); // `here` now knows the generation
    await there.clear();
    // `here` writes in the generation it knows, learns of the clear in the same round trip, and writes again.
    expect(await commandsOf(() => here.set('keyv:k', 'after'))).toEqual(['get', 'set', 'set']);
    expect(await there.get('keyv:k')).toBe('after');
    expect(
      await here.setMany([
        { key: 'keyv:m', value: 'after' },
        { key: 'keyv:n', value: 'too' },
      ]),
    ).toEqual([true, true]);
    await there.clear();
    expect(
      await here.setMany([
        { key: 'keyv:m', value: 'again' },
        { key: 'keyv:n', value: 'too' },
      ]),
    ).toEqual([true, true]);
    expect(await there.getMany(['keyv:m', 'keyv:n'])).toEqual(['again', 'too']);
  });

  it('reads as cleared, never as older data, when memcached loses the generation', async () => {
    const client = sharedClient();
    const store = sharedStore(client);
    await store.set('keyv:before', 'old');
    await store.clear();
    await store.set('keyv:between', 'kept until the loss');
    // Evicted, or lost with a restarted server: the counter is gone, the items may not be.
    await client.delete(generationKey('keyv'));
    const other = sharedStore(client);
    expect(await other.get('keyv:before')).toBeUndefined();
    expect(await other.get('keyv:between')).toBeUndefined();
    expect(await client.get(generationKey('keyv'))).toEqual(expect.any(Number));
    await other.set('keyv:after', 'new');
    expect(await store.get('keyv:after')).toBe('new');
  });

  it('starts a missing generation once when many operations race for it', async () => {
    const prefix = uniquePrefix();
    const stores = Array.from({ length: 5 }, () => sharedStore(sharedClient({ keyPrefix: prefix })));
    await Promise.all(stores.map((store, i) => store.set(`keyv:${i}`, String(i))));
    const values = await Promise.all(
      stores.map((store) => store.getMany(['keyv:0', 'keyv:1', 'keyv:2', 'keyv:3', 'keyv:4'])),
    );
    for (const seen of values) expect(seen).toEqual(['0', '1', '2', '3', '4']);
  });

  it('clears a namespace whose counter is missing', async () => {
    const client = sharedClient();
    const store = sharedStore(client);
    await store.set('keyv:k', 'v');
    await client.delete(generationKey('keyv'));
    await store.clear();
    expect(await store.get('keyv:k')).toBeUndefined();
  });

  it('follows a namespace Keyv changes after the store was made', async () => {
    const store = sharedStore();
    const keyv = new Keyv({ store, namespace: 'first' });
    await keyv.set('k', 'v');
    keyv.namespace = 'second';
    expect(store.namespace).toBe('second');
    await keyv.set('k', 'w');
    await keyv.clear();
    keyv.namespace = 'first';
    expect(await keyv.get('k')).toBe('v');
  });

  it('refuses a namespace that is not a string', () => {
    const store = sharedStore();
    expect(() => {
      (store as { namespace: unknown }).namespace = 42;
    }).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('the generation read each operation makes', () => {
  it('goes out with the operation, in the same round trip: in its multi-get for a read, beside it for a write', async () => {
    const store = sharedStore();
    await store.set('keyv:k', 'v');
    // A read is one `get <counter> <key>`; a write, a `get <counter>` and its `set` in one write to the socket.
    expect(await commandsOf(() => store.get('keyv:k'))).toEqual(['getMulti']);
    expect(await commandsOf(() => store.has('keyv:k'))).toEqual(['getMulti']);
    expect(await commandsOf(() => store.getMany(['keyv:a', 'keyv:b']))).toEqual(['getMulti']);
    expect(await commandsOf(() => store.set('keyv:k', 'w'))).toEqual(['get', 'set']);
    expect(await commandsOf(() => store.delete('keyv:k'))).toEqual(['getMulti', 'delete']);
  });

  it('is shared by the operations of one event-loop turn: 200 gets, one of them with the counter', async () => {
    const store = sharedStore();
    await store.set('keyv:k', 'v');
    const commands = await commandsOf(() => Promise.all(Array.from({ length: 200 }, () => store.get('keyv:k'))));
    expect(commands).toEqual(['getMulti', ...Array.from({ length: 199 }, () => 'get')]);
  });

  it('is not shared across a clear made in the same turn', async () => {
    const store = sharedStore();
    await store.set('keyv:k', 'v');
    const before = store.get('keyv:k');
    const cleared = store.clear();
    const after = store.get('keyv:k');
    expect([await before, await cleared, await after]).toEqual(['v', undefined, undefined]);
  });

  it('is shared until the turn that asked for it ends, and made again after', async () => {
    const store = sharedStore();
    await store.set('keyv:k', 'v');
    const sameTurn = await commandsOf(async () => {
      const first = store.get('keyv:k');
      await Promise.resolve(); // a later microtask of the same turn: the read has not gone out yet
      await Promise.all([first, store.get('keyv:k')]);
    });
    expect(sameTurn).toEqual(['getMulti', 'get']);
    const nextTurn = await commandsOf(async () => {
      const first = store.get('keyv:k');
      await new Promise((resolve) => setImmediate(resolve)); // the read went out with the turn's commands
      await Promise.all([first, store.get('keyv:k')]);
    });
    expect(nextTurn).toEqual(['getMulti', 'getMulti']);
  });
});

describe('a client the store did not make', () => {
  it('serves several stores and namespaces at once', async () => {
    const client = track(new Client(sharedServer(), { keyPrefix: uniquePrefix() }));
    const a = track(new KeyvMemcached(client));
    const b = track(new KeyvMemcached(client));
    a.namespace = 'a';
    b.namespace = 'b';
    await Promise.all([a.set('a:k', '1'), b.set('b:k', '2')]);
    await a.clear();
    expect(await Promise.all([a.get('a:k'), b.get('b:k')])).toEqual([undefined, '2']);
  });
});
