import { Client } from '@clonepool/memcached';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheServer, createCacheServer } from '../server.js';

let memcached: TestMemcached[] = [];
let addresses: string[] = [];
let app: CacheServer;
let url: string;

beforeAll(async () => {
  memcached = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  addresses = memcached.map((server) => server.address);
  const seeder = new Client(addresses);
  await seeder.set('doc:ada', { name: 'Ada', langs: ['en', 'fr'] });
  await seeder.set('text', 'plain words');
  await seeder.set('big', 2n ** 64n);
  await seeder.close();
  app = createCacheServer({ servers: addresses, concurrency: 4 });
  url = await app.listen(0);
});

afterAll(async () => {
  await app?.close();
  await Promise.all(memcached.map((server) => server.stop()));
});

describe('GET /<key>', () => {
  it('answers 200 with the value as indented JSON', async () => {
    const response = await fetch(`${url}/doc:ada`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe('{\n  "name": "Ada",\n  "langs": [\n    "en",\n    "fr"\n  ]\n}\n');
  });

  it('prints strings and bigints as JSON too', async () => {
    expect(await (await fetch(`${url}/text`)).text()).toBe('"plain words"\n');
    expect(await (await fetch(`${url}/big`)).text()).toBe('"18446744073709551616"\n');
  });

  it('answers 404 for a miss', async () => {
    const response = await fetch(`${url}/not-there`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'ERR_NOT_FOUND' });
  });

  it("answers 400 for a key memcached cannot hold (the driver's ERR_INVALID_KEY)", async () => {
    const space = await fetch(`${url}/two%20words`);
    expect(space.status).toBe(400);
    expect(await space.json()).toMatchObject({ error: 'ERR_INVALID_KEY' });
    const long = await fetch(`${url}/${'k'.repeat(251)}`);
    expect(long.status).toBe(400);
  });

  it('answers 400 for no key and for broken percent-encoding', async () => {
    expect((await fetch(`${url}/`)).status).toBe(400);
    expect((await fetch(`${url}/%E0%A4%A`)).status).toBe(400);
  });

  it('answers 405 with Allow for other methods', async () => {
    const response = await fetch(`${url}/doc:ada`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves many concurrent requests on a pool of 4 clones, and exposes its stats', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${url}/${i % 2 ? 'doc:ada' : 'nope'}`).then(async (r) =>
          r.status === 200 || r.status === 404 ? r.status : `${r.status} ${await r.text()}`,
        ),
      ),
    );
    expect(statuses.filter((status) => status !== 200 && status !== 404)).toEqual([]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 404)).toHaveLength(20);
    const stats = (await (await fetch(`${url}/_stats`)).json()) as { reserves: number };
    expect(stats).toMatchObject({ size: 4, available: 4, reserved: 0, waiting: 0 });
    expect(stats.reserves).toBeGreaterThanOrEqual(40);
  });
});

describe('which client serves a request', () => {
  it('gives each request a client of its own, closed when its response ends', async () => {
    const mapped = createCacheServer({ servers: addresses, concurrency: 4, strategy: 'mapped' });
    const mappedUrl = await mapped.listen(0);
    try {
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => fetch(`${mappedUrl}/${i % 2 ? 'doc:ada' : 'nope'}`)),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([...Array(6).fill(200), ...Array(6).fill(404)]);
      // Twelve requests, twelve clients: none is lent to a second request, as a FIFO pool's would be.
      expect(new Set(responses.map((r) => r.headers.get('x-client'))).size).toBe(12);
      await Promise.all(responses.map((r) => r.text()));
      await expect.poll(() => mapped.pool.stats()).toMatchObject({ clones: 12, relinquished: 12, size: 0 });
    } finally {
      await mapped.close();
    }
    expect(mapped.pool.isClosed).toBe(true);
    expect(mapped.master.isClosed).toBe(true);
  });

  it("names the client that served a request in X-Client, here one of the FIFO pool's 4", async () => {
    const served = await Promise.all(Array.from({ length: 12 }, () => fetch(`${url}/doc:ada`)));
    const numbers = new Set(served.map((r) => Number(r.headers.get('x-client'))));
    expect([...numbers].every((n) => n >= 1 && n <= 4)).toBe(true);
    await Promise.all(served.map((r) => r.text()));
  });
});

describe('close()', () => {
  it('stops accepting, lets requests in flight finish, then closes the pool and the master', async () => {
    const own = createCacheServer({
      servers: addresses,
      concurrency: 2,
      reserveTimeoutMs: 10_000,
      clientOptions: { timeoutMs: 10_000 },
    });
    const ownUrl = await own.listen(0);
    // Freeze every memcached so requests stay in flight, holding their leases.
    for (const server of memcached) server.pause();
    try {
      const inFlight = [fetch(`${ownUrl}/doc:ada`), fetch(`${ownUrl}/text`), fetch(`${ownUrl}/nope`)];
      await expect.poll(() => own.pool.stats().reserved + own.pool.stats().waiting, { timeout: 5_000 }).toBe(3);
      const closed = own.close();
      let closedYet = false;
      void closed.then(() => {
        closedYet = true;
      });
      // Not accepting any more: a new connection is refused.
      await expect(fetch(`${ownUrl}/doc:ada`, { headers: { connection: 'close' } })).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closedYet).toBe(false);
      expect(own.pool.isClosed).toBe(false);
      for (const server of memcached) server.resume();
      const responses = await Promise.all(inFlight);
      expect(responses.map((response) => response.status)).toEqual([200, 200, 404]);
      await closed;
      expect(own.pool.isClosed).toBe(true);
      expect(own.pool.stats()).toMatchObject({ size: 0, reserved: 0 });
      expect(own.master.isClosed).toBe(true);
      expect(own.server.listening).toBe(false);
    } finally {
      for (const server of memcached) server.resume();
      await own.close();
    }
  });
});
