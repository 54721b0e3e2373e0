import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';
import { sleep } from './helpers.js';

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
});
