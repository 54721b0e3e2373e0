import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';
import { tick } from './helpers.js';

describe('relinquish', () => {
  it('closes a client relinquished while leased only after its last release', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    await pool.run(async () => {
      const first = await pool.reserve();
      const second = await pool.reserve();
      const client = first.client;
      expect(pool.relinquish()).toBe(true);
      expect(pool.stats().size).toBe(0);
      expect(client.isClosed).toBe(false);
      first.release();
      expect(client.isClosed).toBe(false);
      expect(await second.client.ping()).toBe(client.id);
      second.release();
      expect(client.closeCount).toBe(1);
      // The next reserve in this context clones anew.
      const fresh = await pool.reserve();
      expect(fresh.client).not.toBe(client);
      fresh.release();
    });
    await pool.close();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
  });

  it('returns whether the context had a client', async () => {
    const pool = new MappedPool(new TestClient());
    await pool.run(async () => {
      expect(pool.relinquish()).toBe(false);
      await pool.use(() => {});
      expect(pool.relinquish()).toBe(true);
      expect(pool.relinquish()).toBe(false);
    });
    expect(pool.relinquish()).toBe(false);
    await pool.use(() => {});
    expect(pool.relinquish()).toBe(true);
    expect(pool.stats().relinquished).toBe(2);
    await pool.close();
  });

  it('relinquishes a clone still in flight, closing it when it arrives', async () => {
    const master = new TestClient({ cloneDelayMs: 10 });
    const pool = new MappedPool(master);
    const reserving = pool.reserve();
    expect(pool.relinquish()).toBe(true);
    // The reserve that started the clone still gets it, and it closes after release.
    const lease = await reserving;
    expect(lease.client.isClosed).toBe(false);
    lease.release();
    expect(lease.released).toBe(true);
    expect(master.clones[0]?.closeCount).toBe(1);
    const next = await pool.reserve();
    expect(next.client).not.toBe(master.clones[0]);
    next.release();
    await pool.close();
  });

  it('relinquishes the client of a run() scope when it settles, also when it throws', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    await pool.run(() => pool.use(() => {}));
    await expect(
      pool.run(async () => {
        await pool.use(() => {});
        throw new Error('job failed');
      }),
    ).rejects.toThrow('job failed');
    expect(pool.stats()).toMatchObject({ size: 0, contexts: 0, relinquished: 2 });
    await tick();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
    await pool.close();
  });

  it('treats a discarded lease as a broken client: relinquished, and the next reserve clones anew', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    await pool.run(async () => {
      const broken = await pool.reserve();
      const other = await pool.reserve();
      broken.discard(new Error('connection reset'));
      expect(pool.stats().relinquished).toBe(1);
      expect(other.client.isClosed).toBe(false);
      other.release();
      expect(master.clones[0]?.closeCount).toBe(1);
      const fresh = await pool.reserve();
      expect(fresh.client).toBe(master.clones[1]);
      fresh.release();
    });
    await pool.close();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
  });
});

describe('scopes that end in a loop that never yields', () => {
  it('closes the clients of ended scopes in bounded batches', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    // Only microtasks: the event loop does not turn until the loop is over.
    for (let i = 0; i < 1_000; i++) await pool.run(() => pool.use(() => {}));
    const open = master.clones.filter((clone) => !clone.isClosed).length;
    expect(open).toBeGreaterThan(0);
    expect(open).toBeLessThanOrEqual(256);
    await pool.close();
    expect(master.clones.every((clone) => clone.closeCount === 1)).toBe(true);
  });
});
