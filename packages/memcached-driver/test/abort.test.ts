// A command's own AbortSignal (options.signal), as undici takes one per request: aborting
// rejects that command alone with ERR_MEMCACHED_ABORTED, and its reply, which still comes,
// is read and dropped, so the connection stays in step and open.
import { getEventListeners } from 'node:events';
import { warningsDuring } from '@clonepool/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import type { TestMemcached } from '../src/testing.ts';
import { ownServer, serverStats, sleep, track } from './support.ts';

type Options = Record<string, unknown>;

/** Every command that waits for a reply, called with `options` as its options. */
const commands: [name: string, call: (client: Client, options: Options) => Promise<unknown>][] = [
  ['get', (c, o) => c.get('k', o)],
  ['gets', (c, o) => c.gets('k', o)],
  ['gat', (c, o) => c.gat('k', 60, o)],
  ['gats', (c, o) => c.gats('k', 60, o)],
  ['set', (c, o) => c.set('k', 'v', o)],
  ['add', (c, o) => c.add('k', 'v', o)],
  ['replace', (c, o) => c.replace('k', 'v', o)],
  ['append', (c, o) => c.append('k', 'v', o)],
  ['prepend', (c, o) => c.prepend('k', 'v', o)],
  ['cas', (c, o) => c.cas('k', 'v', 1n, o)],
  ['delete', (c, o) => c.delete('k', o)],
  ['incr', (c, o) => c.incr('n', 1, o)],
  ['decr', (c, o) => c.decr('n', 1, o)],
  ['touch', (c, o) => c.touch('k', 60, o)],
  ['getMulti', (c, o) => c.getMulti(['k', 'j'], o)],
  ['setMulti', (c, o) => c.setMulti({ k: 1, j: 2 }, o)],
  ['deleteMulti', (c, o) => c.deleteMulti(['k', 'j'], o)],
  ['stats', (c, o) => c.stats(undefined, o)],
  ['version', (c, o) => c.version(o)],
  ['flushAll', (c, o) => c.flushAll(undefined, o)],
  ['verbosity', (c, o) => c.verbosity(0, o)],
];

/** The error `promise` rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    (value) => {
      throw new Error(`resolved ${String(value)}`);
    },
    (error: Error) => error,
  );
}

describe('a command refused before anything is sent', () => {
  let address: string;
  let client: Client;
  beforeAll(async () => {
    address = (await ownServer()).address;
    client = track(new Client(address));
    await client.set('kept', 'intact');
  });

  async function nothingSent(attempt: () => Promise<unknown>): Promise<Error & { code?: string }> {
    const before = Number((await serverStats(address)).bytes_read);
    const error = await rejection(attempt());
    await sleep(5); // a write, had one been queued, leaves on the next tick
    // The `stats` line of the second serverStats() is all the server read meanwhile.
    expect(Number((await serverStats(address)).bytes_read) - before).toBe(7);
    expect(await client.get('kept')).toBe('intact');
    return error;
  }

  it.each(commands)(
    '%s() with an aborted signal rejects ERR_MEMCACHED_ABORTED, its cause the reason',
    async (_, call) => {
      const reason = new Error('the request went away');
      const error = await nothingSent(() => call(client, { signal: AbortSignal.abort(reason) }));
      expect(error).toMatchObject({ code: 'ERR_MEMCACHED_ABORTED', cause: reason });
    },
  );

  it.each(commands)('%s() refuses an unknown option name, naming the command', async (name, call) => {
    const error = await nothingSent(() => call(client, { sginal: new AbortController().signal }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(error.message).toContain(`not one ${name}() knows`);
    expect(error.message).toContain('signal');
  });

  it.each([
    ['getOrSet', (c: Client, o: Options) => c.getOrSet('k', () => 1, { ttl: 60, ...o })],
    ['invalidate', (c: Client, o: Options) => c.invalidate('k', o)],
  ] as const)('%s() refuses an unknown option name, naming the command', async (name, call) => {
    const error = await nothingSent(() => call(client, { sginal: new AbortController().signal }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(error.message).toContain(`not one ${name}() knows`);
  });

  it.each(commands)('%s() refuses a signal that is not an AbortSignal', async (_, call) => {
    const error = await nothingSent(() => call(client, { signal: { aborted: false } }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(error.message).toContain('signal');
  });
});

describe('a command aborted while its reply is owed', () => {
  let server: TestMemcached;
  let client: Client;
  const disconnects: unknown[] = [];
  beforeAll(async () => {
    server = await ownServer();
    client = track(new Client(server.address, { timeoutMs: 10_000 }));
    client.on('disconnect', (...args) => disconnects.push(args));
    await client.set('n', 1);
  });

  it.each(commands)(
    '%s() rejects at once; the reply that comes later is dropped and the connection stays open',
    async (name, call) => {
      const controller = new AbortController();
      await server.pause(); // the server reads nothing now: the command is in flight
      const aborted = call(client, { signal: controller.signal });
      // Commands behind it on the same connection: each must get its own reply.
      const stored = client.set(`after:${name}`, name);
      const read = client.get(`after:${name}`);
      await sleep(5);
      controller.abort('changed my mind');
      const error = await rejection(aborted);
      expect(error).toMatchObject({ code: 'ERR_MEMCACHED_ABORTED', cause: 'changed my mind' });
      server.resume();
      expect(await stored).toBe(true);
      expect(await read).toBe(name);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(disconnects).toEqual([]);
    },
  );

  it('with merged gets, only the aborted caller of a line rejects; the others get their values', async () => {
    await client.setMulti({ m1: 'one', m2: 'two', m3: 'three' });
    const controller = new AbortController();
    await server.pause();
    const calls = [
      client.get('m1'),
      client.get('m2', { signal: controller.signal }),
      client.get('m3'),
      client.get('m2'),
    ];
    await sleep(5);
    controller.abort();
    await expect(calls[1]).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED' });
    server.resume();
    expect(await Promise.all([calls[0], calls[2], calls[3]])).toEqual(['one', 'three', 'two']);
    expect(disconnects).toEqual([]);
  });

  it('a command that settles first is not rejected by a later abort', async () => {
    await client.set('n', 1);
    const controller = new AbortController();
    expect(await client.get('n', { signal: controller.signal })).toBe(1);
    controller.abort();
    expect(
      await client.get('n', { signal: controller.signal }).catch((error: Error & { code: string }) => error.code),
    ).toBe('ERR_MEMCACHED_ABORTED');
  });
});

describe('one long-lived signal shared by many commands', () => {
  let client: Client;
  beforeAll(async () => {
    client = track(new Client((await ownServer()).address));
    await client.set('shared', 'v');
  });

  it('holds one abort listener at most, removed once the last command settles, and warns of nothing', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const peaks: number[] = [];
    const warnings = await warningsDuring(async () => {
      for (let round = 0; round < 5; round++) {
        const calls = Array.from({ length: 500 }, (_, i) =>
          i % 3 === 0 ? client.set(`shared:${i}`, i, { signal }) : client.get('shared', { signal }),
        );
        calls.push(client.getMulti(['shared', 'shared:0'], { signal }) as Promise<never>);
        peaks.push(getEventListeners(signal, 'abort').length);
        await Promise.all(calls);
        expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      }
    });
    expect(peaks).toEqual([1, 1, 1, 1, 1]);
    expect(warnings).toEqual([]);
  });

  it('aborts every command still waiting on it, and keeps the connection', async () => {
    const server = await ownServer();
    const own = track(new Client(server.address, { timeoutMs: 10_000 }));
    await own.set('k', 'v');
    const controller = new AbortController();
    await server.pause();
    const calls = Array.from({ length: 50 }, () => own.get('k', { signal: controller.signal }));
    await sleep(5);
    controller.abort();
    const outcomes = await Promise.allSettled(calls);
    expect(
      outcomes.every((o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'ERR_MEMCACHED_ABORTED'),
    ).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    server.resume();
    expect(await own.get('k')).toBe('v');
  });

  it('keeps nothing: 100k commands on one signal leave the heap where it was (--expose-gc)', async () => {
    const gc = globalThis.gc;
    if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts passes it)');
    const { signal } = new AbortController();
    const settle = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        gc();
        await sleep(10);
      }
      return process.memoryUsage().heapUsed;
    };
    // Warm up first, so what the code paths allocate once is in the baseline.
    for (let i = 0; i < 1000; i++) await client.get('shared', { signal });
    const before = await settle();
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 1000 }, () => client.get('shared', { signal })));
    }
    const grown = (await settle()) - before;
    // A listener or a closure kept per command would be ~100 bytes × 100k = 10 MB at least.
    expect(grown).toBeLessThan(2_000_000);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
