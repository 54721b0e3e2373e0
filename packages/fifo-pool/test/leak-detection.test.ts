import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { warningsDuring } from '@clonepool/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientPool, channelNames, LeaseLeakWarning } from '../src/index.js';
import { SyncClient, sleep, THIRTY_DAYS_MS } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function captureWarnings(): Error[] {
  const warnings: Error[] = [];
  vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
    warnings.push(typeof warning === 'string' ? new Error(warning) : warning);
  });
  return warnings;
}

async function forgetfulHandler(pool: ClientPool<SyncClient>) {
  return pool.reserve();
}

describe('leak detection', () => {
  it('warns with CLONEPOOL_LEAK and the stack where the lease was reserved', async () => {
    const warnings = captureWarnings();
    const pool = new ClientPool(new SyncClient(), 1, { leakDetectionMs: 10 });
    const lease = await forgetfulHandler(pool);
    await sleep(30);
    expect(warnings).toHaveLength(1);
    const warning = warnings[0] as LeaseLeakWarning;
    expect(warning).toBeInstanceOf(LeaseLeakWarning);
    expect(warning.code).toBe('CLONEPOOL_LEAK');
    expect(warning.leakDetectionMs).toBe(10);
    expect(warning.stack).toContain('forgetfulHandler');
    expect(warning.stack?.split('\n')[1]).toContain('forgetfulHandler');
    lease.release();
    await pool.close();
  });

  it('stays silent for a lease released in time, and clears its unref()ed timer', async () => {
    const warnings = captureWarnings();
    const armed: NodeJS.Timeout[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const timer = realSetTimeout(fn, ms);
      armed.push(timer);
      return timer;
    }) as typeof setTimeout);
    const cleared = vi.spyOn(globalThis, 'clearTimeout');
    const pool = new ClientPool(new SyncClient(), 1, { leakDetectionMs: 20 });
    const lease = await pool.reserve();
    expect(armed).toHaveLength(1);
    expect(armed[0]?.hasRef()).toBe(false);
    lease.release();
    expect(cleared).toHaveBeenCalledWith(armed[0]);
    vi.restoreAllMocks();
    const later = captureWarnings();
    await sleep(40);
    expect(warnings).toHaveLength(0);
    expect(later).toHaveLength(0);
    await pool.close();
  });

  it('is off by default', async () => {
    const warnings = captureWarnings();
    const pool = new ClientPool(new SyncClient(), 1);
    const lease = await pool.reserve();
    await sleep(30);
    expect(warnings).toHaveLength(0);
    lease.release();
    await pool.close();
  });

  it('watches leases handed to waiters too, and publishes on the leak channel', async () => {
    const warnings = captureWarnings();
    const published: unknown[] = [];
    const listener = (message: unknown) => published.push((message as { warning: unknown }).warning);
    subscribe(channelNames.leak, listener);
    try {
      const pool = new ClientPool(new SyncClient(), 1, { leakDetectionMs: 10 });
      const first = await pool.reserve();
      const waiting = pool.reserve({ block: true });
      first.release();
      const second = await waiting;
      await sleep(30);
      expect(warnings).toHaveLength(1);
      expect(published).toEqual(warnings);
      second.release();
      await pool.close();
    } finally {
      unsubscribe(channelNames.leak, listener);
    }
  });

  it('stops watching at close', async () => {
    const warnings = captureWarnings();
    const pool = new ClientPool(new SyncClient(), 1, { leakDetectionMs: 20 });
    await pool.reserve();
    await pool.close({ graceMs: 0 });
    await sleep(40);
    expect(warnings).toHaveLength(0);
  });

  it('waits out a leakDetectionMs longer than setTimeout can take instead of warning at once', async () => {
    const warnings = await warningsDuring(async () => {
      const pool = new ClientPool(new SyncClient(), 1, { leakDetectionMs: THIRTY_DAYS_MS });
      const lease = await pool.reserve();
      await sleep(50);
      lease.release();
      await pool.close();
    });
    expect(warnings).toEqual([]);
  });

  it('warns about a lease held 30 days with leakDetectionMs of 30 days, not a millisecond before', async () => {
    vi.useFakeTimers();
    try {
      const warnings = captureWarnings();
      const pool = new ClientPool(new SyncClient(), 1, { leakDetectionMs: THIRTY_DAYS_MS });
      const lease = await pool.reserve();
      await vi.advanceTimersByTimeAsync(THIRTY_DAYS_MS - 1);
      expect(warnings).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(warnings.map((warning) => (warning as LeaseLeakWarning).code)).toEqual(['CLONEPOOL_LEAK']);
      lease.release();
      await pool.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
