import { join } from 'node:path';
import { alive, programsIn } from '@clonepool/example-testing';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProductService, type ProductService } from '../app.js';

const { run } = programsIn(join(import.meta.dirname, '..'));

let memcached: TestMemcached;
/** Two instances of the service over one memcached, as two processes behind a load balancer. */
let one: ProductService;
let two: ProductService;
let urlOne: string;
let urlTwo: string;

beforeAll(async () => {
  memcached = await startMemcached();
  one = createProductService({ servers: memcached.address, lookupMs: 50 });
  two = createProductService({ servers: memcached.address, lookupMs: 50 });
  [urlOne, urlTwo] = await Promise.all([one.listen(0), two.listen(0)]);
});

afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
  await memcached?.stop();
});

const stats = async (url: string) =>
  (await fetch(`${url}/stats`)).json() as Promise<{ lookups: number; cacheErrors: number }>;

async function getProduct(url: string, id: string): Promise<{ status: number; cache: string | null; body: unknown }> {
  const response = await fetch(`${url}/products/${encodeURIComponent(id)}`);
  return { status: response.status, cache: response.headers.get('x-cache'), body: await response.json() };
}

describe('GET /products/:id', () => {
  it('looks a product up once, then serves it from memcached', async () => {
    const before = (await stats(urlOne)).lookups;
    const first = await getProduct(urlOne, '42');
    expect(first).toEqual({
      status: 200,
      cache: 'miss',
      body: { id: '42', name: 'Product 42', priceCents: expect.any(Number) },
    });
    const second = await getProduct(urlOne, '42');
    expect(second).toEqual({ ...first, cache: 'hit' });
    expect((await stats(urlOne)).lookups - before).toBe(1);
  });

  it('shares one lookup among concurrent requests for a cold product in one instance', async () => {
    const before = (await stats(urlOne)).lookups;
    const results = await Promise.all(Array.from({ length: 5 }, () => getProduct(urlOne, 'cold')));
    expect(new Set(results.map((result) => JSON.stringify(result.body))).size).toBe(1);
    expect((await stats(urlOne)).lookups - before).toBe(1);
  });

  it('serves another instance from the cache the first filled', async () => {
    await getProduct(urlOne, 'shared');
    const before = (await stats(urlTwo)).lookups;
    expect(await getProduct(urlTwo, 'shared')).toMatchObject({ status: 200, cache: 'hit', body: { id: 'shared' } });
    expect((await stats(urlTwo)).lookups).toBe(before);
  });

  it('takes ids memcached could not hold as keys: spaces, Unicode, 1000 characters', async () => {
    for (const id of ['blue shoes', 'café crème', 'x'.repeat(1_000)]) {
      expect(await getProduct(urlOne, id)).toMatchObject({ status: 200, cache: 'miss', body: { id } });
      expect(await getProduct(urlTwo, id)).toMatchObject({ status: 200, cache: 'hit', body: { id } });
    }
  });
});

describe('invalidation', () => {
  it('DELETE drops one product, for every instance', async () => {
    await getProduct(urlOne, 'gone');
    expect((await fetch(`${urlTwo}/products/gone`, { method: 'DELETE' })).status).toBe(204);
    expect((await getProduct(urlOne, 'gone')).cache).toBe('miss');
  });

  it('POST /cache/clear in one instance clears the namespace for all', async () => {
    await getProduct(urlOne, 'a');
    await getProduct(urlOne, 'b');
    expect((await fetch(`${urlTwo}/cache/clear`, { method: 'POST' })).status).toBe(204);
    expect((await getProduct(urlOne, 'a')).cache).toBe('miss');
    expect((await getProduct(urlTwo, 'b')).cache).toBe('miss');
  });
});

describe('with memcached down', () => {
  it('keeps answering: every read is a miss, and the errors are counted', async () => {
    const server = await startMemcached();
    const service = createProductService({ servers: server.address, lookupMs: 5 });
    const url = await service.listen(0);
    try {
      await getProduct(url, 'p');
      await server.stop();
      expect(await getProduct(url, 'p')).toMatchObject({ status: 200, cache: 'miss', body: { id: 'p' } });
      expect(await getProduct(url, 'p')).toMatchObject({ status: 200, cache: 'miss' });
      expect((await stats(url)).cacheErrors).toBeGreaterThan(0);
    } finally {
      await service.close();
      await server.stop();
    }
  });
});

describe('main.ts', () => {
  it('starts its own memcached, serves products from the cache, and closes on SIGINT', async () => {
    const program = run('main.ts', { MEMCACHED_SERVERS: '', PORT: '0' });
    try {
      const [, address] = await program.waitFor(/listening on (http:\/\/\S+)/);
      const pid = Number(program.stdout().match(/\(pid (\d+)\)/)?.[1]);
      expect((await getProduct(address!, '42')).cache).toBe('miss');
      expect((await getProduct(address!, '42')).cache).toBe('hit');
      program.child.kill('SIGINT');
      expect(await program.exited).toBe(0);
      expect(program.stdout()).toMatch(/SIGINT: closed after 1 lookups/);
      expect(alive(pid)).toBe(false);
    } finally {
      program.child.kill('SIGKILL');
    }
  });
});
