// The mapped pool over our own driver, the way the two are meant to be used together: each scope's
// clone connects lazily, inside the scope's async context, and is closed when the scope ends.
import { MappedPool } from '@clonepool/mapped-pool';
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
});
