import { TestClient, warningsDuring } from '@clonepool/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { MappedPool } from '../src/index.js';
import { sleep } from './helpers.js';

/** An idle timeout whose quarter is still longer than setTimeout can take (2^31 − 1 ms). */
const LONG_IDLE_MS = 1e10;

describe('idle timeout', () => {
  it('closes a client left unused for idleTimeoutMs, and the next reserve clones anew', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master, { idleTimeoutMs: 50 });
    const first = await pool.use((client) => client);
    await sleep(10);
    expect(first.isClosed).toBe(false);
    await sleep(100);
    expect(first.closeCount).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 0, idleClosed: 1, contexts: 0 });
    const second = await pool.use((client) => client);
    expect(second).not.toBe(first);
    await pool.close();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
  });

  it('never closes a client while it is leased, and counts idleness from the last release', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master, { idleTimeoutMs: 50 });
    const lease = await pool.reserve();
    await sleep(120);
    expect(lease.client.isClosed).toBe(false);
    lease.release();
    await sleep(10);
    expect(master.clones[0]?.isClosed).toBe(false);
    await sleep(100);
    expect(master.clones[0]?.closeCount).toBe(1);
    await pool.close();
  });

  it('keeps a client that is used more often than idleTimeoutMs', async () => {
    const master = new TestClient();
    // Generous against timer lateness on a loaded machine: used every ~10 ms, expires after 150 ms.
    const pool = new MappedPool(master, { idleTimeoutMs: 150 });
    for (let i = 0; i < 8; i++) {
      await pool.use(() => {});
      await sleep(10);
    }
    expect(master.clones).toHaveLength(1);
    expect(pool.stats().idleClosed).toBe(0);
    await pool.close();
  });

  it('sweeps at most every 2^31 − 1 ms for an idleTimeoutMs beyond what setInterval can take', async () => {
    const warnings = await warningsDuring(async () => {
      const pool = new MappedPool(new TestClient(), { idleTimeoutMs: LONG_IDLE_MS });
      const client = await pool.use((c) => c);
      await sleep(30);
      expect(client.isClosed).toBe(false);
      await pool.close();
    });
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('closes a client idle for an idleTimeoutMs of 1e10 ms, within a quarter of it', async () => {
    vi.useFakeTimers();
    try {
      const master = new TestClient();
      const pool = new MappedPool(master, { idleTimeoutMs: LONG_IDLE_MS });
      const client = await pool.use((c) => c);
      // A sweep that fired every millisecond would run 10 000 times here and trip the fake clock's loop limit.
      await vi.advanceTimersByTimeAsync(10_000);
      await vi.advanceTimersByTimeAsync(LONG_IDLE_MS - 10_001);
      expect(client.isClosed).toBe(false);
      await vi.advanceTimersByTimeAsync(LONG_IDLE_MS / 4 + 1);
      expect(client.closeCount).toBe(1);
      expect(pool.stats()).toMatchObject({ idleClosed: 1, size: 0 });
      await pool.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
