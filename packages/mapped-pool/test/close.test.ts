import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';

describe('close', () => {
  it('closes idle clients at once, leased ones after release, clones in flight on arrival: each exactly once', async () => {
    const master = new TestClient({ cloneDelayMs: 20 });
    const pool = new MappedPool(master);
    await pool.use(() => {}); // the root context's client, idle
    const leased = await pool.run(() => pool.reserve()); // a lease that outlives its scope
    const inFlight = pool.run(() => pool.reserve());
    inFlight.catch(() => {});
    let closed = false;
    const closing = pool.close().then(() => {
      closed = true;
    });
    expect(pool.isClosed).toBe(true);
    expect(master.clones[0]?.closeCount).toBe(1);
    await expect(inFlight).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect(closed).toBe(false);
    expect(leased.client.isClosed).toBe(false);
    leased.release();
    await closing;
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1, 1]);
    await pool.close();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1, 1]);
    expect(master.closeCount).toBe(0);
  });

  it('rejects reserves after close, inside and outside contexts, and relinquish finds nothing', async () => {
    const pool = new MappedPool(new TestClient());
    await pool.use(() => {});
    await pool.close();
    await expect(pool.reserve()).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(pool.run(() => pool.use(() => {}))).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect(pool.relinquish()).toBe(false);
    expect(pool.stats()).toMatchObject({ size: 0, reserved: 0, waiting: 0 });
  });

  it('closes with await using', async () => {
    const master = new TestClient();
    {
      await using pool = new MappedPool(master);
      await pool.use(() => {});
    }
    expect(master.clones[0]?.closeCount).toBe(1);
  });

  it('lets close() resolve even when a client fails to close', async () => {
    const pool = new MappedPool({
      clone: () => ({
        close: async () => {
          throw new Error('socket already gone');
        },
      }),
    });
    await pool.use(() => {});
    await expect(pool.close()).resolves.toBeUndefined();
  });
});
