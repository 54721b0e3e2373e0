import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';

describe('reserves within one context', () => {
  it('shares the client with a nested reserve and clones once (pylibmc cloned twice and lost one)', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    await pool.run(async () => {
      const outer = await pool.reserve();
      const inner = await pool.reserve();
      const innermost = await pool.use(async (client) => client);
      expect(inner.client).toBe(outer.client);
      expect(innermost).toBe(outer.client);
      expect(pool.stats().reserved).toBe(2);
      inner.release();
      // The outer lease still works after the inner one is released.
      expect(await outer.client.ping()).toBe(outer.client.id);
      outer.release();
      // Releasing keeps the client mapped: the next reserve here lends it again.
      const again = await pool.reserve();
      expect(again.client).toBe(innermost);
      again.release();
    });
    expect(master.clones).toHaveLength(1);
    await pool.close();
    expect(master.clones[0]?.closeCount).toBe(1);
  });

  it('shares one clone between reserves that race before the first clone resolves', async () => {
    const master = new TestClient({ cloneDelayMs: 20 });
    const pool = new MappedPool(master);
    await pool.run(async () => {
      const leases = await Promise.all([pool.reserve(), pool.reserve(), pool.reserve({ block: true })]);
      expect(new Set(leases.map((lease) => lease.client)).size).toBe(1);
      for (const lease of leases) lease.release();
    });
    expect(master.clones).toHaveLength(1);
    await pool.close();
  });

  it('rejects every reserve waiting on a failed clone and clones anew at the next reserve', async () => {
    const master = new TestClient({ cloneDelayMs: 5 });
    const pool = new MappedPool(master);
    await pool.run(async () => {
      master.failNextClone(new Error('server unreachable'));
      const racing = [pool.reserve(), pool.reserve()];
      for (const reserve of racing) await expect(reserve).rejects.toThrow('server unreachable');
      expect(pool.stats()).toMatchObject({ size: 0, reserved: 0, clones: 0 });
      const lease = await pool.reserve();
      expect(lease.client.isClosed).toBe(false);
      lease.release();
    });
    expect(master.clones).toHaveLength(1);
    await pool.close();
  });

  it('rejects a reserve whose clone throws synchronously', async () => {
    const pool = new MappedPool({
      clone(): TestClient {
        throw new Error('no config');
      },
    });
    await expect(pool.reserve()).rejects.toThrow('no config');
    expect(pool.stats()).toMatchObject({ size: 0, reserved: 0 });
    await pool.close();
  });
});
