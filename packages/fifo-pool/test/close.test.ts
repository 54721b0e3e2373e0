import { TestClient, warningsDuring } from '@clonepool/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { ClientPool } from '../src/index.js';
import { SyncClient, settled, sleep, THIRTY_DAYS_MS } from './helpers.js';

describe('close', () => {
  it('waits for leases still out, then closes their clients', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 2);
    const lease = await pool.reserve();
    const closing = pool.close();
    expect(pool.isClosed).toBe(true);
    expect(await settled(closing)).toBe(false);
    expect(master.clones.map((c) => c.closeCount)).toEqual([0, 1]);
    lease.release();
    await closing;
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
  });

  it('closes clients still lent once graceMs has passed, and ignores their later release', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 2);
    const lease = await pool.reserve();
    const started = performance.now();
    await pool.close({ graceMs: 30 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
    expect(pool.stats()).toMatchObject({ size: 0, reserved: 0, available: 0 });
    lease.release();
    lease.discard();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
    expect(pool.stats()).toMatchObject({ size: 0, reserved: 0 });
  });

  it('resolves before the grace period ends when the last lease comes back', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const lease = await pool.reserve();
    setTimeout(() => lease.release(), 5);
    const started = performance.now();
    await pool.close({ graceMs: 10_000 });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('returns the same promise to every caller, and rejects reserves after it', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const first = pool.close();
    expect(pool.close()).toBe(first);
    await first;
    await expect(pool.reserve()).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(pool.use(() => 1, { block: true })).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });

  it('closes at the end of an await using block', async () => {
    const master = new SyncClient();
    {
      await using pool = new ClientPool(master, 2);
      await pool.use(() => {});
    }
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
  });

  it('closes every client even when one fails to close, then rejects with an AggregateError', async () => {
    let closes = 0;
    const failing = {
      clone: () => ({
        close: () => {
          closes++;
          if (closes === 1) throw new Error('socket already gone');
        },
      }),
    };
    const pool = new ClientPool(failing, 3);
    await expect(pool.close()).rejects.toBeInstanceOf(AggregateError);
    expect(closes).toBe(3);
  });

  it('rejects invalid close options', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    await expect(pool.close({ graceMs: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(pool.close({ gracems: 5 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(pool.isClosed).toBe(false);
    await pool.close();
  });

  it('leaves no timer behind: a grace timer is cleared when leases come back early', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const pool = new ClientPool(new SyncClient(), 1);
    const lease = await pool.reserve();
    const before = timeouts();
    const closing = pool.close({ graceMs: 60_000 });
    expect(timeouts()).toBe(before + 1);
    lease.release();
    await closing;
    expect(timeouts()).toBe(before);
  });

  it('waits for a replacement still being cloned when graceMs passes, closes it, then resolves', async () => {
    const master = new TestClient({ cloneDelayMs: 40 });
    const pool = new ClientPool(master, 1);
    const lease = await pool.reserve();
    // The replacement clone is on its way for the next 40 ms.
    lease.discard(new Error('connection reset'));
    await pool.close({ graceMs: 5 });
    expect(master.clones).toHaveLength(2);
    expect(master.clones.map((clone) => clone.closeCount)).toEqual([1, 1]);
    expect(pool.stats()).toMatchObject({ size: 0, slots: 0, reserved: 0 });
  });

  it('waits for the clones of a fill under way, with or without graceMs, and closes each once', async () => {
    for (const graceMs of [undefined, 0]) {
      const master = new TestClient({ cloneDelayMs: 20 });
      const pool = new ClientPool(master, 2);
      await pool.close(graceMs === undefined ? undefined : { graceMs });
      expect(
        master.clones.map((clone) => clone.closeCount),
        `graceMs ${graceMs}`,
      ).toEqual([1, 1]);
      await sleep(40);
      expect(master.clones, `graceMs ${graceMs}`).toHaveLength(2);
    }
  });

  it('waits out a graceMs longer than setTimeout can take instead of closing lent clients at once', async () => {
    const warnings = await warningsDuring(async () => {
      const master = new SyncClient();
      const pool = new ClientPool(master, 1);
      const lease = await pool.reserve();
      const closing = pool.close({ graceMs: THIRTY_DAYS_MS });
      await sleep(50);
      expect(lease.client.closeCount).toBe(0);
      expect(await settled(closing)).toBe(false);
      lease.release();
      await closing;
      expect(master.clones.map((c) => c.closeCount)).toEqual([1]);
    });
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('closes a lent client once a 30-day graceMs has passed, not a millisecond before', async () => {
    vi.useFakeTimers();
    try {
      const master = new SyncClient();
      const pool = new ClientPool(master, 1);
      await pool.reserve();
      let closed = false;
      void pool.close({ graceMs: THIRTY_DAYS_MS }).then(() => {
        closed = true;
      });
      await vi.advanceTimersByTimeAsync(THIRTY_DAYS_MS - 1);
      expect(master.clones[0]?.closeCount).toBe(0);
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(master.clones[0]?.closeCount).toBe(1);
      expect(closed).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
