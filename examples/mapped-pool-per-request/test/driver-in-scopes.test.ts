// The mapped pool over our own driver, the way the two are meant to be used together: each scope's
// clone connects lazily, inside the scope's async context, and is closed when the scope ends.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MappedPool, withContext } from '@clonepool/mapped-pool';
import { Client } from '@clonepool/memcached';
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

/** The connections memcached has open now (the reader's own included). */
async function connections(): Promise<number> {
  return Number((await reader.stats()).get(memcached.address)!.curr_connections);
}

/** The connections memcached has accepted since it started. */
async function accepted(): Promise<number> {
  return Number((await reader.stats()).get(memcached.address)!.total_connections);
}

describe('MappedPool over the memcached driver', () => {
  it("lands every noreply write a scope made before its client was closed at the scope's end", async () => {
    const master = new Client(memcached.address, { keyPrefix: 'scoped-noreply:' });
    const pool = new MappedPool(master);
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      // Each scope's clone connects lazily on its first write; the scope ends at once, and the pool
      // closes the clone on the next turn, while its socket may still be connecting.
      const written = await Promise.all(
        keys.map((key) => pool.run(() => pool.use((client) => client.set(key, key, { noreply: true })))),
      );
      expect(written.every((ok) => ok)).toBe(true);
      await expect.poll(() => pool.stats(), { timeout: 5_000 }).toMatchObject({ size: 0, contexts: 0 });
      const prefixed = keys.map((key) => `scoped-noreply:${key}`);
      await expect
        .poll(async () => (await reader.getMulti(prefixed)).size, { timeout: 5_000, interval: 100 })
        .toBe(keys.length);
    } finally {
      await pool.close();
      await master.close();
    }
  });

  describe('a request that reserves after its response ended', () => {
    let server: Server;
    let pool: MappedPool<Client>;
    let master: Client;
    let handled = 0;

    beforeAll(async () => {
      master = new Client(memcached.address, { keyPrefix: 'late:' });
      pool = new MappedPool(master);
      server = createServer(
        withContext(pool, async (req, res) => {
          res.end('ok');
          // The response has ended, and so has the request's scope: this reserve maps a client
          // the pool can only reclaim once the request's context is garbage-collected.
          await sleep(5);
          await pool.use((client) => client.set(req.url ?? '/', 'late'));
          handled++;
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      await pool?.close();
      await master?.close();
    });

    it('is reclaimed once its context is collected: no client and no memcached connection is left', async () => {
      const gc = globalThis.gc;
      if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts passes it)');
      const before = await connections();
      const acceptedBefore = await accepted();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const requests = 200;
      for (let batch = 0; batch < requests; batch += 20) {
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const response = await fetch(`${url}/r${batch + i}`);
            expect(await response.text()).toBe('ok');
          }),
        );
      }
      await expect.poll(() => handled, { timeout: 10_000 }).toBe(requests);
      // node:http arms a keep-alive timer on each idle connection while ending a response, inside the
      // request's context: close them, so only what our driver holds could keep a context alive.
      server.closeIdleConnections();
      // Every late reserve mapped a clone, which connected: the leak's premise holds. (Some may
      // be reclaimed already, by collections that happened on their own.)
      expect(pool.stats().clones).toBe(requests);
      expect((await accepted()) - acceptedBefore).toBeGreaterThanOrEqual(requests);
      // Collect until the FinalizationRegistry has reclaimed them (its callbacks run after a GC, later).
      for (let round = 0; round < 50 && pool.stats().reclaimed < requests; round++) {
        gc();
        await sleep(20);
      }
      expect(pool.stats()).toMatchObject({ reclaimed: requests, size: 0 });
      // Reclaimed clients are closed: their connections are gone from memcached.
      await expect.poll(connections, { timeout: 5_000, interval: 100 }).toBeLessThanOrEqual(before);
    });
  });
});
