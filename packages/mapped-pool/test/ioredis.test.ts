import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';

type Redis = InstanceType<typeof RedisMock>;

/** An ioredis(-mock) master made clonable: `duplicate()` is ioredis's clone. */
function clonable(redis: Redis): { clone: () => Redis } {
  return { clone: () => redis.duplicate() };
}

describe('with ioredis-mock clients', () => {
  it('gives each context its own duplicate that really sets and gets', async () => {
    const master = new RedisMock();
    const pool = new MappedPool(clonable(master));
    const results = await Promise.all(
      ['alpha', 'beta', 'gamma'].map((name) =>
        pool.run(async () => {
          const client = await pool.use((redis) => redis);
          await pool.use((redis) => redis.set(`greeting:${name}`, `hello ${name}`));
          await new Promise((resolve) => setImmediate(resolve));
          const value = await pool.use((redis) => redis.get(`greeting:${name}`));
          const same = await pool.use((redis) => redis === client);
          return { value, same, client };
        }),
      ),
    );
    expect(results.map((r) => r.value)).toEqual(['hello alpha', 'hello beta', 'hello gamma']);
    expect(results.every((r) => r.same)).toBe(true);
    expect(new Set(results.map((r) => r.client)).size).toBe(3);
    // The duplicates share the mock's data, as real ones share a server.
    expect(await master.get('greeting:beta')).toBe('hello beta');
    expect(pool.stats()).toMatchObject({ clones: 3, relinquished: 3, size: 0 });
    await pool.close();
    // ioredis-mock marks a client that quit as not connected (its types, ioredis's, don't declare it).
    for (const { client } of results) expect((client as unknown as { connected: boolean }).connected).toBe(false);
    master.disconnect();
  });

  it("ports pylibmc's doctest: reserve, set, delete", async () => {
    const master = new RedisMock();
    const pool = new MappedPool(clonable(master));
    await pool.run(async () => {
      {
        await using lease = await pool.reserve();
        expect(await lease.client.set('hello', 'world')).toBe('OK');
      }
      {
        await using lease = await pool.reserve();
        expect(await lease.client.get('hello')).toBe('world');
        expect(await lease.client.del('hello')).toBe(1);
      }
    });
    expect(pool.stats().clones).toBe(1);
    await pool.close();
    master.disconnect();
  });
});
