import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { type ParsedReserveOptions, WaitQueue } from '../src/index.js';
import { warningsDuring } from '../src/testing.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Longer than setTimeout can take (2^31 − 1 ms, about 24.9 days). */
const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const wait = (overrides: Partial<ParsedReserveOptions> = {}): ParsedReserveOptions => ({
  block: true,
  timeoutMs: undefined,
  signal: undefined,
  ...overrides,
});

describe('WaitQueue', () => {
  it('serves waiters in arrival order', async () => {
    const queue = new WaitQueue<number>();
    const waiting = [queue.wait(wait()), queue.wait(wait()), queue.wait(wait())];
    expect(queue.size).toBe(3);
    for (const n of [1, 2, 3]) expect(queue.serve(n)).toBe(true);
    expect(await Promise.all(waiting)).toEqual([1, 2, 3]);
    expect(queue.serve(4)).toBe(false);
  });

  it('hands a value to the next waiter when the first timed out in the same tick', async () => {
    const queue = new WaitQueue<string>();
    const first = queue.wait(wait({ timeoutMs: 5 }));
    const second = queue.wait(wait());
    await expect(first).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
    expect(queue.serve('client')).toBe(true);
    await expect(second).resolves.toBe('client');
    expect(queue.size).toBe(0);
  });

  it('unlinks an aborted waiter from the middle and keeps the order of the rest', async () => {
    const queue = new WaitQueue<number>();
    const controller = new AbortController();
    const a = queue.wait(wait());
    const b = queue.wait(wait({ signal: controller.signal }));
    const c = queue.wait(wait());
    controller.abort('stop');
    await expect(b).rejects.toMatchObject({ code: 'ERR_RESERVE_ABORTED', cause: 'stop' });
    queue.serve(1);
    queue.serve(2);
    expect(await Promise.all([a, c])).toEqual([1, 2]);
  });

  it('rejects at once for an already aborted signal, without queueing', async () => {
    const queue = new WaitQueue<number>();
    await expect(queue.wait(wait({ signal: AbortSignal.abort('late') }))).rejects.toMatchObject({
      code: 'ERR_RESERVE_ABORTED',
    });
    expect(queue.size).toBe(0);
  });

  it('rejects the oldest waiter only with rejectNext, and everyone with rejectAll', async () => {
    const queue = new WaitQueue<number>();
    const a = queue.wait(wait());
    const b = queue.wait(wait());
    const c = queue.wait(wait({ timeoutMs: 60_000 }));
    expect(queue.rejectNext(new Error('clone failed'))).toBe(true);
    await expect(a).rejects.toThrow('clone failed');
    queue.rejectAll();
    await expect(b).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(c).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect(queue.rejectNext(new Error('nobody'))).toBe(false);
  });

  it('serves a waiter queued first ahead of those already waiting, then the rest in arrival order', async () => {
    const queue = new WaitQueue<string>();
    const a = queue.wait(wait());
    const b = queue.wait(wait());
    const owed = queue.wait(wait(), { first: true });
    const c = queue.wait(wait());
    for (const value of ['x', 'y', 'z', 'w']) queue.serve(value);
    expect(await Promise.all([owed, a, b, c])).toEqual(['x', 'y', 'z', 'w']);
    // Into an empty queue, and unlinked from the head when it gives up.
    const alone = queue.wait(wait({ timeoutMs: 1 }), { first: true });
    const next = queue.wait(wait());
    await expect(alone).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
    queue.serve('v');
    await expect(next).resolves.toBe('v');
    expect(queue.size).toBe(0);
  });

  it('rejects every waiter of a group with rejectGroup, wherever they stand, and keeps the others in order', async () => {
    const queue = new WaitQueue<number>();
    const group = {};
    const a = queue.wait(wait(), { group });
    const b = queue.wait(wait());
    const c = queue.wait(wait({ timeoutMs: 60_000 }), { group });
    const d = queue.wait(wait());
    expect(queue.rejectGroup(group, 'sibling mapped')).toBe(2);
    await expect(a).rejects.toBe('sibling mapped');
    await expect(c).rejects.toBe('sibling mapped');
    expect(queue.size).toBe(2);
    queue.serve(1);
    queue.serve(2);
    expect(await Promise.all([b, d])).toEqual([1, 2]);
    expect(queue.rejectGroup(group, 'again')).toBe(0);
  });

  it.runIf(gc !== undefined)('forgets a group once its last waiter leaves, however it leaves', async () => {
    const queue = new WaitQueue<number>();
    const groups = await (async () => {
      const servedGroup = {};
      const timedOutGroup = {};
      const rejectedGroup = {};
      const served = queue.wait(wait(), { group: servedGroup });
      const timedOut = queue.wait(wait({ timeoutMs: 1 }), { group: timedOutGroup });
      const rejected = queue.wait(wait(), { group: rejectedGroup });
      expect(await timedOut.catch((error: { code: string }) => error.code)).toBe('ERR_RESERVE_TIMEOUT');
      queue.serve(1);
      await expect(served).resolves.toBe(1);
      queue.rejectGroup(rejectedGroup, 'mapped');
      await expect(rejected).rejects.toBe('mapped');
      return [servedGroup, timedOutGroup, rejectedGroup].map((group) => new WeakRef(group));
    })();
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(groups.map((group) => group.deref())).toEqual([undefined, undefined, undefined]);
    expect(queue.size).toBe(0);
  });

  it('removes its abort listener and clears its timer once settled', async () => {
    const queue = new WaitQueue<number>();
    const controller = new AbortController();
    let listeners = 0;
    const { signal } = controller;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const waiting = queue.wait(wait({ signal, timeoutMs: 60_000 }));
    queue.serve(7);
    await expect(waiting).resolves.toBe(7);
    expect(listeners).toBe(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});

describe('WaitQueue and a shared signal', () => {
  it('listens once per signal however many waiters share it, so no MaxListenersExceededWarning', async () => {
    const warnings = await warningsDuring(async () => {
      const queue = new WaitQueue<number>();
      const controller = new AbortController();
      const waiting = Array.from({ length: 20 }, () => queue.wait(wait({ signal: controller.signal })));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      expect(queue.serve(1)).toBe(true);
      controller.abort('stop');
      const outcomes = await Promise.allSettled(waiting);
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 });
      for (const outcome of outcomes.slice(1)) {
        expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'ERR_RESERVE_ABORTED', cause: 'stop' } });
      }
      expect(queue.size).toBe(0);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
    expect(warnings).toEqual([]);
  });

  it('stops listening once the last waiter of a signal is served, timed out or aborted by another signal', async () => {
    const queue = new WaitQueue<number>();
    const shared = new AbortController();
    const own = new AbortController();
    const served = queue.wait(wait({ signal: shared.signal }));
    const timedOut = queue.wait(wait({ signal: shared.signal, timeoutMs: 1 }));
    const aborted = queue.wait(wait({ signal: shared.signal }));
    const other = queue.wait(wait({ signal: own.signal }));
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    await expect(timedOut).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
    queue.serve(1);
    await expect(served).resolves.toBe(1);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    queue.rejectNext(new Error('clone failed'));
    await expect(aborted).rejects.toThrow('clone failed');
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    own.abort();
    await expect(other).rejects.toMatchObject({ code: 'ERR_RESERVE_ABORTED' });
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(0);
    // A signal that aborts after its waiters left rejects nobody.
    shared.abort();
    expect(queue.size).toBe(0);
  });
});

describe('WaitQueue timers', () => {
  it('waits out a timeoutMs longer than setTimeout can take instead of giving up at once', async () => {
    const warnings = await warningsDuring(async () => {
      const queue = new WaitQueue<number>();
      const waiting = queue.wait(wait({ timeoutMs: THIRTY_DAYS_MS }));
      await sleep(50);
      expect(queue.size).toBe(1);
      queue.serve(1);
      await expect(waiting).resolves.toBe(1);
    });
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('times out a 30-day wait after 30 days, not a millisecond before', async () => {
    vi.useFakeTimers();
    try {
      const queue = new WaitQueue<number>();
      let outcome: string | undefined;
      queue.wait(wait({ timeoutMs: THIRTY_DAYS_MS })).catch((error: { code: string }) => {
        outcome = error.code;
      });
      await vi.advanceTimersByTimeAsync(THIRTY_DAYS_MS - 1);
      expect(outcome).toBeUndefined();
      expect(queue.size).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(outcome).toBe('ERR_RESERVE_TIMEOUT');
      expect(queue.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the process alive until a timed wait settles', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const script = `
      import { WaitQueue } from '@clonepool/core';
      const queue = new WaitQueue();
      await queue.wait({ block: true, timeoutMs: 50, signal: undefined }).catch((e) => console.log(e.code));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@clonepool/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: import.meta.dirname },
    );
    expect(stdout.trim()).toBe('ERR_RESERVE_TIMEOUT');
  });
});
