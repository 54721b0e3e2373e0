import { request } from 'node:http';
import { join } from 'node:path';
import { alive, programsIn } from '@clonepool/example-testing';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItemsApp, type ItemsApp } from '../app.js';

const { run } = programsIn(join(import.meta.dirname, '..'));

let memcached: TestMemcached;
let items: ItemsApp;
let url: string;

beforeAll(async () => {
  memcached = await startMemcached();
  items = createItemsApp(memcached.address);
  url = await items.listen(0);
});

afterAll(async () => {
  await items?.close();
  await memcached?.stop();
});

const put = (key: string, body: string) =>
  fetch(`${url}/items/${key}`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });

async function expectNothingMapped(): Promise<void> {
  await expect
    .poll(() => items.pool.stats(), { timeout: 5_000 })
    .toMatchObject({ size: 0, reserved: 0, waiting: 0, contexts: 0 });
}

describe('GET and PUT /items/:key', () => {
  it('stores a JSON body and reads it back', async () => {
    const created = await put('towel', '{"name":"towel","uses":42}');
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ key: 'towel', value: { name: 'towel', uses: 42 } });
    const read = await fetch(`${url}/items/towel`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ key: 'towel', value: { name: 'towel', uses: 42 } });
  });

  it('answers 404 for a missing item', async () => {
    const response = await fetch(`${url}/items/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'ERR_NOT_FOUND', key: 'nothing-here' });
  });

  it('answers 400 for a key memcached cannot hold, a bad TTL and a body that is not JSON', async () => {
    const space = await fetch(`${url}/items/two%20words`);
    expect(space.status).toBe(400);
    expect(await space.json()).toMatchObject({ error: 'ERR_INVALID_KEY' });
    expect((await fetch(`${url}/items/ttl?ttl=-5`, { method: 'PUT', body: '1' })).status).toBe(400);
    expect((await put('broken', '{"not json')).status).toBe(400);
  });

  it('gives each request its own client, shared by all its reserves, and keeps nothing mapped after', async () => {
    const before = items.pool.stats();
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => put(`item-${i}`, JSON.stringify({ i }))));
    const clients = responses.map((response) => response.headers.get('x-client')?.split(',') ?? []);
    for (const [written, readBack] of clients) expect(readBack).toBe(written);
    expect(new Set(clients.map(([written]) => written)).size).toBe(10);
    const gets = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${url}/items/item-${i}`)));
    expect(await Promise.all(gets.map((response) => response.json()))).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ key: `item-${i}`, value: { i } })),
    );
    await expectNothingMapped();
    const after = items.pool.stats();
    expect(after.clones - before.clones).toBe(20);
    expect(after.relinquished - before.relinquished).toBe(20);
  });
});

describe('a body that arrives in slow chunks', () => {
  /** PUTs a JSON body in three writes 30 ms apart; resolves the status and the X-Client header. */
  function slowPut(key: string): Promise<string> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, method: 'PUT', path: `/items/${key}` }, (res) => {
        res.resume();
        res.once('end', () => resolve(`${res.statusCode} ${res.headers['x-client']}`));
      });
      req.once('error', reject);
      req.write('{"parts":["');
      setTimeout(() => {
        req.write('x'.repeat(2_000));
        setTimeout(() => req.end('"]}'), 30);
      }, 30);
    });
  }

  it("still runs the route in the request's context", async () => {
    const results = await Promise.all([slowPut('slow-a'), slowPut('slow-b'), slowPut('slow-c')]);
    const ids = results.map((result) => {
      const [status, clients] = result.split(' ');
      expect(status).toBe('201');
      const [written, readBack] = clients!.split(',');
      expect(readBack).toBe(written);
      return written;
    });
    expect(new Set(ids).size).toBe(3);
    await expectNothingMapped();
  });
});

describe('a busy pool', () => {
  it('makes a request beyond maxClients wait for a client, and answers 503 once reserve.timeoutMs has passed', async () => {
    const small = createItemsApp(memcached.address, { maxClients: 1, reserveTimeoutMs: 100 });
    const smallUrl = await small.listen(0);
    try {
      // Take the only client from outside any request, in the pool's root context.
      const held = await small.pool.reserve();
      const refused = await fetch(`${smallUrl}/items/busy`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ error: 'ERR_RESERVE_TIMEOUT' });
      held.release();
      small.pool.relinquish();
      expect((await fetch(`${smallUrl}/items/busy`)).status).toBe(404);
    } finally {
      await small.close();
    }
  });
});

describe('main.ts', () => {
  it('starts its own memcached, serves PUT and GET, and closes on SIGINT', async () => {
    const program = run('main.ts', { MEMCACHED_SERVERS: '', PORT: '0' });
    try {
      const [, address] = await program.waitFor(/listening on (http:\/\/\S+)/);
      const pid = Number(program.stdout().match(/\(pid (\d+)\)/)?.[1]);
      const created = await fetch(`${address}/items/42`, { method: 'PUT', body: '{"name":"towel"}' });
      expect(created.status).toBe(201);
      expect(await (await fetch(`${address}/items/42`)).json()).toEqual({ key: '42', value: { name: 'towel' } });
      program.child.kill('SIGINT');
      expect(await program.exited).toBe(0);
      expect(program.stdout()).toMatch(/SIGINT: closed after 2 clients, 2 relinquished, 0 left/);
      expect(alive(pid)).toBe(false);
    } finally {
      program.child.kill('SIGKILL');
    }
  });
});
