import { describe, expect, it } from 'vitest';
import { ClientPool } from '../src/index.js';
import { SyncClient, tick } from './helpers.js';

describe('stats', () => {
  it('starts at zero for an empty pool', async () => {
    const pool = new ClientPool<SyncClient>();
    expect(pool.stats()).toEqual({
      size: 0,
      slots: 0,
      available: 0,
      reserved: 0,
      waiting: 0,
      maxWaiting: 0,
      reserves: 0,
      waits: 0,
      timeouts: 0,
      aborts: 0,
      discards: 0,
      cloneFailures: 0,
    });
    await pool.close();
  });

  it('counts reserves, waits, timeouts, aborts, discards and the most waiters seen', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 1);
    const held = await pool.reserve();
    const controller = new AbortController();
    const timedOut = pool.reserve({ block: true, timeoutMs: 1 });
    const aborted = pool.reserve({ block: true, signal: controller.signal });
    const served = pool.reserve({ block: true });
    expect(pool.stats()).toMatchObject({ waiting: 3, maxWaiting: 3, waits: 3, reserves: 1 });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_RESERVE_ABORTED' });
    await expect(timedOut).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
    await expect(pool.reserve({ block: true, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_RESERVE_ABORTED',
    });
    held.discard();
    const lease = await served;
    lease.release();
    await tick();
    expect(pool.stats()).toEqual({
      size: 1,
      slots: 1,
      available: 1,
      reserved: 0,
      waiting: 0,
      maxWaiting: 3,
      reserves: 2,
      waits: 3,
      timeouts: 1,
      aborts: 2,
      discards: 1,
      cloneFailures: 0,
    });
    await pool.close();
  });

  it('keeps available + reserved equal to size while clients come and go', async () => {
    const master = new SyncClient({ async: true });
    const pool = new ClientPool(master, 3);
    const check = () => {
      const { size, available, reserved } = pool.stats();
      expect(available + reserved).toBe(size);
    };
    check();
    await tick();
    const leases = [await pool.reserve(), await pool.reserve()];
    check();
    leases[0]?.discard();
    check();
    await tick();
    check();
    leases[1]?.release();
    check();
    await pool.close();
    check();
  });
});
