// getOrSet through a ClientPool of clones, as this server's handlers would call it: more callers
// than clients, waiting for one in arrival order, over several servers under a key prefix.
// Clones of one master share their refreshes in the process, so a hot key costs one factory run.
import { getEventListeners } from 'node:events';
import { ClientPool } from '@clonepool/fifo-pool';
import { Client, type GetOrSetFactory, type GetOrSetOptions } from '@clonepool/memcached';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let memcached: TestMemcached[] = [];
let addresses: string[] = [];

beforeAll(async () => {
  memcached = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  addresses = memcached.map((server) => server.address);
});

afterAll(async () => {
  await Promise.all(memcached.map((server) => server.stop()));
});

/** Clients in the pool, and callers at once: many more callers than clients. */
const CLIENTS = 4;
const CALLERS = 60;

let prefixes = 0;
/**
 * Runs `test` with a master over `servers` under a fresh key prefix and a waiting pool filled
 * with its clones; then checks that every client came back and nobody waits, and closes both.
 */
async function withClones(
  servers: readonly string[],
  test: (setup: { master: Client; pool: ClientPool<Client>; prefix: string }) => Promise<void>,
) {
  const prefix = `pooled-gos${prefixes++}:`;
  const master = new Client([...servers], { keyPrefix: prefix });
  const pool = new ClientPool(master, CLIENTS, { reserve: { block: true, timeoutMs: 20_000 } });
  try {
    await test({ master, pool, prefix });
    expect(pool.stats()).toMatchObject({ size: CLIENTS, reserved: 0, waiting: 0 });
  } finally {
    await pool.close();
    await master.close();
  }
}

/**
 * A factory that counts its runs by key; run n (of any key) returns what the test's n-th
 * `open` gives it, whichever comes first, and every run returns `value` once `openAll(value)`.
 */
function gatedFactory(): {
  load: (key: string) => GetOrSetFactory<string>;
  runs: () => number;
  runsOf: (key: string) => number;
  open: (value: string) => void;
  openAll: (value: string) => void;
} {
  const gates: { promise: Promise<string>; resolve: (value: string) => void }[] = [];
  let all: string | undefined;
  const gate = (n: number) => {
    if (gates[n] === undefined) {
      let resolve!: (value: string) => void;
      const promise = new Promise<string>((res) => {
        resolve = res;
      });
      gates[n] = { promise, resolve };
      if (all !== undefined) resolve(all);
    }
    return gates[n];
  };
  const byKey = new Map<string, number>();
  let runs = 0;
  let opened = 0;
  return {
    load: (key) => () => {
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
      return gate(runs++).promise;
    },
    runs: () => runs,
    runsOf: (key) => byKey.get(key) ?? 0,
    open: (value) => gate(opened++).resolve(value),
    openAll: (value) => {
      all = value;
      for (const one of gates) one.resolve(value);
    },
  };
}

/** One caller: a client from the pool, waiting for one if all are out. */
function call(pool: ClientPool<Client>, key: string, load: GetOrSetFactory<string>, options: GetOrSetOptions) {
  return pool.use((client) => client.getOrSet(key, load, options));
}

/** The item memcached at `address` holds for `key`, read by a client of that server alone. */
async function readFrom(address: string, key: string): Promise<unknown> {
  const client = new Client(address);
  try {
    return await client.get(key);
  } finally {
    await client.close();
  }
}

describe('getOrSet through a ClientPool', () => {
  it('runs the factory once for more callers than clients, and every caller gets its value', async () => {
    await withClones(addresses, async ({ pool }) => {
      const shutdown = new AbortController();
      const options = { ttl: 300, signal: shutdown.signal };
      const factory = gatedFactory();
      const calls = Array.from({ length: CALLERS }, () => call(pool, 'hot', factory.load('hot'), options));
      await expect.poll(factory.runs).toBe(1);
      // Every client is out, waiting on the one refresh; the rest of the callers wait for a client.
      expect(pool.stats()).toMatchObject({ size: CLIENTS, reserved: CLIENTS, waiting: CALLERS - CLIENTS });
      factory.open('value');
      expect(await Promise.all(calls)).toEqual(Array(CALLERS).fill('value'));
      expect(factory.runs()).toBe(1);
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
      // Nothing is left in flight: later callers are served without the factory.
      expect(
        await Promise.all(Array.from({ length: 8 }, () => call(pool, 'hot', factory.load('hot'), options))),
      ).toEqual(Array(8).fill('value'));
      expect(factory.runs()).toBe(1);
    });
  });

  it('serves the stale value to every other caller at once while one refresh runs, then the new one', async () => {
    await withClones(addresses, async ({ pool }) => {
      const options = { ttl: 300, grace: 60 };
      const factory = gatedFactory();
      const first = call(pool, 'hot', factory.load('hot'), options);
      factory.open('old');
      expect(await first).toBe('old');
      expect(await pool.use((client) => client.invalidate('hot', { grace: 60 }))).toBe(true);
      const calls = Array.from({ length: CALLERS }, () => call(pool, 'hot', factory.load('hot'), options));
      await expect.poll(factory.runs).toBe(2);
      // One caller holds a client while it refreshes; every other one, waiting for a client or not, gets the old value.
      expect(await Promise.all(calls.slice(1))).toEqual(Array(CALLERS - 1).fill('old'));
      factory.open('new');
      expect(await calls[0]).toBe('new');
      expect(
        await Promise.all(Array.from({ length: 8 }, () => call(pool, 'hot', factory.load('hot'), options))),
      ).toEqual(Array(8).fill('new'));
      expect(factory.runs()).toBe(2);
    });
  });

  it('stores on the new owners the refreshes that were in flight when setServers moved their keys', async () => {
    const [a, b, c] = addresses as [string, string, string];
    await withClones([a, b], async ({ master, pool, prefix }) => {
      const options = { ttl: 300, waitMs: 10_000 };
      const keys = Array.from({ length: 12 }, (_, i) => `moving${i}`);
      const factory = gatedFactory();
      // More callers than clients, over every key: the first four keys' refreshes are won on their owners in [a, b].
      const calls = Array.from({ length: CALLERS }, (_, i) => {
        const key = keys[i % keys.length]!;
        return call(pool, key, factory.load(key), options);
      });
      await expect.poll(factory.runs).toBe(CLIENTS);
      // The master moves every key to c while those refreshes run and the other callers wait for a client.
      await master.setServers([c]);
      factory.openAll('fresh');
      expect(await Promise.all(calls)).toEqual(Array(CALLERS).fill('fresh'));
      // One refresh per key: the ones in flight across the change were stored, so nobody refreshed them again.
      expect(keys.map((key) => factory.runsOf(key))).toEqual(Array(keys.length).fill(1));
      for (const key of keys) expect([key, await readFrom(c, `${prefix}${key}`)]).toEqual([key, 'fresh']);
    });
  });
});
