import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { ClientPool } from '../src/index.js';

// ioredis clients are pooled as they are: `duplicate()` is their clone. The pool knows nothing of Redis.
function redisPool(slots: number) {
  const master = new RedisMock();
  return { master, pool: new ClientPool({ clone: () => master.duplicate() }, slots) };
}

/** ioredis-mock's own flag: true until quit() or disconnect(). */
const connected = (redis: unknown): boolean => (redis as { connected: boolean }).connected;

describe('with ioredis-mock clients cloned through duplicate()', () => {
  it('sets and gets through the pool, each operation on the next client in turn', async () => {
    const { master, pool } = redisPool(3);
    const used = new Set<unknown>();
    await pool.use(async (redis) => {
      used.add(redis);
      await redis.set('greeting', 'hello');
    });
    const value = await pool.use(async (redis) => {
      used.add(redis);
      return redis.get('greeting');
    });
    expect(value).toBe('hello');
    expect(used.size).toBe(2);
    expect(used.has(master)).toBe(false);
    await pool.close();
    master.disconnect();
  });

  it('runs many concurrent callers on a few clients, waiting their turn', async () => {
    const { master, pool } = redisPool(2);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool.use(
          async (redis) => {
            await redis.incr('counter');
            await redis.set(`key:${i}`, String(i));
            return redis.get(`key:${i}`);
          },
          { block: true, timeoutMs: 5_000 },
        ),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(await pool.use((redis) => redis.get('counter'))).toBe('20');
    expect(pool.stats()).toMatchObject({ size: 2, reserved: 0, reserves: 21 });
    await pool.close();
    master.disconnect();
  });

  it('replaces a discarded client with a fresh duplicate that still sees the data', async () => {
    const { master, pool } = redisPool(1);
    const lease = await pool.reserve();
    const broken = lease.client;
    await broken.set('survives', 'yes');
    lease.discard(new Error('pretend the socket died'));
    const value = await pool.use(async (redis) => {
      expect(redis).not.toBe(broken);
      return redis.get('survives');
    });
    expect(value).toBe('yes');
    expect(connected(broken)).toBe(false);
    await pool.close();
    master.disconnect();
  });

  it('closes every duplicate on close', async () => {
    const { master, pool } = redisPool(2);
    const clients = [await pool.reserve(), await pool.reserve()].map((lease) => {
      const client = lease.client;
      lease.release();
      return client;
    });
    for (const client of clients) expect(connected(client)).toBe(true);
    await pool.close();
    for (const client of clients) expect(connected(client)).toBe(false);
    master.disconnect();
  });
});
