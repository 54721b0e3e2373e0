// getOrSet through a MappedPool over our own driver, as a server uses it: every request scope
// gets its own clone, and clones of one master share their refreshes in the process. Many
// scopes asking for one hot key must cost one factory run, and leave nothing behind.
import { getEventListeners } from 'node:events';
import { connect } from 'node:net';
import { MappedPool } from '@clonepool/mapped-pool';
import { Client, type GetOrSetFactory, type GetOrSetOptions } from '@clonepool/memcached';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let memcached: TestMemcached;
let reader: Client;

beforeAll(async () => {
  memcached = await startMemcached();
  reader = new Client(memcached.address);
});

afterAll(async () => {
  await reader?.close();
  await memcached?.stop();
});

/** How many scopes ask at once. */
const SCOPES = 40;

let prefixes = 0;
/**
 * Runs `test` with a MappedPool over a master of its own, under a fresh key prefix; then
 * checks that every scope ended and every clone was dropped, and closes both.
 */
async function withScopes(test: (setup: { pool: MappedPool<Client>; prefix: string }) => Promise<void>) {
  const prefix = `scoped-gos${prefixes++}:`;
  const master = new Client(memcached.address, { keyPrefix: prefix });
  const pool = new MappedPool(master);
  try {
    await test({ pool, prefix });
    await drained(pool);
  } finally {
    await pool.close();
    await master.close();
  }
}

/**
 * A factory that counts its runs; run n returns (or throws) what the test's n-th `open`
 * (or `fail`) gives it, whichever comes first.
 */
function gatedFactory(): {
  load: GetOrSetFactory<string>;
  runs: () => number;
  open: (value: string) => void;
  fail: (error: Error) => void;
} {
  const gates: { promise: Promise<string>; resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const gate = (n: number) => {
    if (gates[n] === undefined) {
      let resolve!: (value: string) => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<string>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      gates[n] = { promise, resolve, reject };
    }
    return gates[n];
  };
  let runs = 0;
  let settled = 0;
  return {
    load: () => gate(runs++).promise,
    runs: () => runs,
    open: (value) => gate(settled++).resolve(value),
    fail: (error) => gate(settled++).reject(error),
  };
}

/** One request: a scope of the pool, calling getOrSet through its own clone. */
function request(pool: MappedPool<Client>, key: string, load: GetOrSetFactory<string>, options: GetOrSetOptions) {
  return pool.run(() => pool.use((client) => client.getOrSet(key, load, options)));
}

/** Settles every promise and returns what each did: the value, or the error's code. */
async function outcomes(promises: Promise<unknown>[]): Promise<unknown[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((one) => (one.status === 'fulfilled' ? one.value : (one.reason as { code?: string }).code));
}

/** mg requests memcached has served (each getOrSet flight reads with one). */
async function metaGets(): Promise<number> {
  return Number((await reader.stats()).get(memcached.address)!.cmd_get);
}

/** The connections memcached has open now (the reader's own included). */
async function connections(): Promise<number> {
  return Number((await reader.stats()).get(memcached.address)!.curr_connections);
}

/** The seconds `key` has left to live, read straight from memcached (`mg <key> t`). */
function ttlLeft(key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(memcached.port, memcached.host);
    let reply = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (!reply.endsWith('\r\n')) return;
      socket.destroy();
      const match = / t(-?\d+)/.exec(reply);
      if (match === null) reject(new Error(`no TTL for ${key}: ${reply}`));
      else resolve(Number(match[1]));
    });
    socket.on('error', reject);
    socket.write(`mg ${key} t\r\n`);
  });
}

/** Waits until the value `key` was stored with (ttl 1, `grace`) is past its ttl: due for a refresh. */
async function untilDue(key: string, grace: number): Promise<void> {
  await expect.poll(() => ttlLeft(key), { timeout: 10_000, interval: 100 }).toBeLessThanOrEqual(grace);
}

/** Every clone has been closed and every scope has ended. */
async function drained(pool: MappedPool<Client>): Promise<void> {
  await expect.poll(() => pool.stats(), { timeout: 5_000 }).toMatchObject({ size: 0, contexts: 0 });
}

describe('getOrSet through a MappedPool', () => {
  it('runs the factory once for many scopes missing one hot key, and every scope gets its value', async () => {
    await withScopes(async ({ pool }) => {
      // A server-wide signal every call passes (a shutdown signal): one listener at most, none after.
      const shutdown = new AbortController();
      const options = { ttl: 300, signal: shutdown.signal };
      const factory = gatedFactory();
      const before = await metaGets();
      const requests = Array.from({ length: SCOPES }, () => request(pool, 'hot', factory.load, options));
      await expect.poll(factory.runs).toBe(1);
      // Each scope holds a clone of its own, and waits on the one refresh in the process.
      expect(pool.stats()).toMatchObject({ contexts: SCOPES, size: SCOPES });
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(1);
      factory.open('value');
      expect(await Promise.all(requests)).toEqual(Array(SCOPES).fill('value'));
      expect(factory.runs()).toBe(1);
      // One read for every scope: they shared the flight.
      expect((await metaGets()) - before).toBe(1);
      await drained(pool);
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
      // Nothing is left in flight: a later request reads for itself, and is served without the factory.
      expect(await request(pool, 'hot', factory.load, options)).toBe('value');
      expect((await metaGets()) - before).toBe(2);
      expect(factory.runs()).toBe(1);
    });
  });

  it('serves every scope the stale value at once while one refresh runs, and refreshes again only when due', async () => {
    await withScopes(async ({ pool, prefix }) => {
      const options = { ttl: 1, grace: 60 };
      const factory = gatedFactory();
      const first = request(pool, 'hot', factory.load, options);
      factory.open('old');
      expect(await first).toBe('old');
      await untilDue(`${prefix}hot`, 60);
      // The first wave shares one read: one scope wins and waits for the factory, the others are served at once.
      const wave = Array.from({ length: SCOPES }, () => request(pool, 'hot', factory.load, options));
      await expect.poll(factory.runs).toBe(2);
      expect(await Promise.all(wave.slice(1))).toEqual(Array(SCOPES - 1).fill('old'));
      // Scopes that ask while the refresh runs read for themselves, and are served the old value too.
      const later = Array.from({ length: SCOPES }, () => request(pool, 'hot', factory.load, options));
      expect(await Promise.all(later)).toEqual(Array(SCOPES).fill('old'));
      expect(factory.runs()).toBe(2);
      factory.open('new');
      expect(await wave[0]).toBe('new');
      // Fresh again: served without the factory, until the new value is due in its turn.
      expect(await outcomes(Array.from({ length: 5 }, () => request(pool, 'hot', factory.load, options)))).toEqual(
        Array(5).fill('new'),
      );
      expect(factory.runs()).toBe(2);
      await untilDue(`${prefix}hot`, 60);
      const due = Array.from({ length: 5 }, () => request(pool, 'hot', factory.load, options));
      await expect.poll(factory.runs).toBe(3);
      factory.open('newer');
      expect(await Promise.all(due)).toEqual(['newer', 'new', 'new', 'new', 'new']);
      expect(factory.runs()).toBe(3);
    });
  });

  it('after an invalidate from one scope, runs one refresh and serves the stale value meanwhile', async () => {
    await withScopes(async ({ pool }) => {
      const options = { ttl: 300 };
      const factory = gatedFactory();
      const first = request(pool, 'hot', factory.load, options);
      factory.open('old');
      expect(await first).toBe('old');
      expect(await pool.run(() => pool.use((client) => client.invalidate('hot', { grace: 30 })))).toBe(true);
      const wave = Array.from({ length: SCOPES }, () => request(pool, 'hot', factory.load, options));
      await expect.poll(factory.runs).toBe(2);
      expect(await Promise.all(wave.slice(1))).toEqual(Array(SCOPES - 1).fill('old'));
      factory.open('new');
      expect(await wave[0]).toBe('new');
      expect(await outcomes(Array.from({ length: 5 }, () => request(pool, 'hot', factory.load, options)))).toEqual(
        Array(5).fill('new'),
      );
      expect(factory.runs()).toBe(2);
    });
  });

  it('rejects every scope sharing a failed refresh with its error, and the next request refreshes at once', async () => {
    await withScopes(async ({ pool }) => {
      // lockTtl 30 s, and no waiting: only a right given back lets the next request refresh now.
      const options = { ttl: 300, waitMs: 0 };
      const factory = gatedFactory();
      const requests = Array.from({ length: SCOPES }, () => request(pool, 'missing', factory.load, options));
      await expect.poll(factory.runs).toBe(1);
      const error = Object.assign(new Error('the database is down'), { code: 'ERR_DB_DOWN' });
      factory.fail(error);
      const settled = await Promise.allSettled(requests);
      expect(settled.every((one) => one.status === 'rejected' && one.reason === error)).toBe(true);
      const retry = request(pool, 'missing', factory.load, options);
      await expect.poll(factory.runs).toBe(2);
      factory.open('back');
      expect(await retry).toBe('back');

      // With a stale value: the failing scope gets the error, the others the old value, and the
      // right to refresh is handed out again at once.
      expect(await pool.run(() => pool.use((client) => client.invalidate('missing')))).toBe(true);
      const wave = Array.from({ length: SCOPES }, () => request(pool, 'missing', factory.load, options));
      await expect.poll(factory.runs).toBe(3);
      factory.fail(error);
      expect(await outcomes(wave)).toEqual(['ERR_DB_DOWN', ...Array(SCOPES - 1).fill('back')]);
      const again = request(pool, 'missing', factory.load, options);
      await expect.poll(factory.runs).toBe(4);
      factory.open('fixed');
      expect(await again).toBe('fixed');
    });
  });

  it("rejects only the scope whose request was aborted; the others get the refresh's value", async () => {
    await withScopes(async ({ pool }) => {
      const factory = gatedFactory();
      // Each request has its own AbortController, as a server handler aborts on a closed connection.
      const controllers = Array.from({ length: 10 }, () => new AbortController());
      const requests = controllers.map((controller) =>
        request(pool, 'hot', factory.load, { ttl: 300, signal: controller.signal }),
      );
      await expect.poll(factory.runs).toBe(1);
      // The scope whose call started the refresh, and another.
      controllers[0]!.abort(new Error('client went away'));
      controllers[3]!.abort(new Error('client went away'));
      await expect(requests[0]).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED' });
      await expect(requests[3]).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED' });
      // Their scopes ended and their clones are closing: the refresh goes on through another scope's clone.
      await expect.poll(() => pool.stats().contexts).toBe(8);
      factory.open('value');
      expect(await outcomes(requests)).toEqual([
        'ERR_MEMCACHED_ABORTED',
        'value',
        'value',
        'ERR_MEMCACHED_ABORTED',
        ...Array(6).fill('value'),
      ]);
      expect(factory.runs()).toBe(1);
      expect(await request(pool, 'hot', factory.load, { ttl: 300 })).toBe('value');
      for (const controller of controllers) expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });

  it('gives the right to refresh back when the only request for a missing key aborts and its scope ends', async () => {
    await withScopes(async ({ pool }) => {
      const factory = gatedFactory();
      const idle = await connections();
      const controller = new AbortController();
      const lone = request(pool, 'cold', factory.load, { ttl: 300, signal: controller.signal });
      await expect.poll(factory.runs).toBe(1);
      controller.abort(new Error('client went away'));
      await expect(lone).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED' });
      // The scope ended and its clone closed (its connection is gone) while the factory still runs.
      await drained(pool);
      await expect.poll(connections, { timeout: 5_000, interval: 20 }).toBeLessThanOrEqual(idle);
      // lockTtl is 30 s and this request does not wait: it refreshes now only if the right was given back.
      const next = outcomes([request(pool, 'cold', factory.load, { ttl: 300, waitMs: 0 })]);
      try {
        await expect.poll(factory.runs).toBe(2);
      } finally {
        factory.open('abandoned');
        factory.open('value');
      }
      expect(await next).toEqual(['value']);
      expect(await request(pool, 'cold', factory.load, { ttl: 300 })).toBe('value');
    });
  });

  it('hands the refresh of a stale value out again when the request refreshing it aborts and its scope ends', async () => {
    await withScopes(async ({ pool }) => {
      const factory = gatedFactory();
      const first = request(pool, 'hot', factory.load, { ttl: 300 });
      factory.open('old');
      expect(await first).toBe('old');
      await pool.run(() => pool.use((client) => client.invalidate('hot')));
      await drained(pool);
      const idle = await connections();
      const controller = new AbortController();
      const refreshing = request(pool, 'hot', factory.load, { ttl: 300, signal: controller.signal });
      await expect.poll(factory.runs).toBe(2);
      controller.abort(new Error('client went away'));
      await expect(refreshing).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED' });
      await drained(pool);
      await expect.poll(connections, { timeout: 5_000, interval: 20 }).toBeLessThanOrEqual(idle);
      // The next request wins the refresh and waits for its own factory, rather than being served stale.
      const next = request(pool, 'hot', factory.load, { ttl: 300 });
      try {
        await expect.poll(factory.runs).toBe(3);
      } finally {
        factory.open('abandoned');
        factory.open('new');
      }
      expect(await next).toBe('new');
    });
  });
});
