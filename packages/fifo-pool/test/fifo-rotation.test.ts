import { getEventListeners } from 'node:events';
import { warningsDuring } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { ClientPool } from '../src/index.js';
import { SyncClient, sleep, tick } from './helpers.js';

describe('FIFO rotation', () => {
  it('rotates reserves over every client, as a queue', async () => {
    const pool = new ClientPool(new SyncClient(), 3);
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await pool.use((client) => client.id));
    expect(ids).toEqual([1, 2, 3, 1, 2, 3, 1]);
    await pool.close();
  });

  it('puts a released client at the tail of the idle queue', async () => {
    const pool = new ClientPool(new SyncClient(), 3);
    const a = await pool.reserve();
    const b = await pool.reserve();
    expect([a.client.id, b.client.id]).toEqual([1, 2]);
    b.release();
    a.release();
    const next = [await pool.reserve(), await pool.reserve(), await pool.reserve()];
    expect(next.map((lease) => lease.client.id)).toEqual([3, 2, 1]);
    for (const lease of next) lease.release();
    await pool.close();
  });

  it('hands a released client to the oldest waiter, not to a newcomer', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const held = await pool.reserve();
    const waiter = pool.reserve({ block: true });
    await tick();
    held.release();
    // The newcomer arrives in the same tick as the release; the client was promised to the waiter.
    await expect(pool.reserve()).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
    const lease = await waiter;
    expect(lease.client.id).toBe(1);
    lease.release();
    await pool.close();
  });

  it('serves blocking waiters in arrival order, whatever their timeouts', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const held = await pool.reserve();
    const order: number[] = [];
    const waiters = [undefined, 5_000, undefined, 1_000].map((timeoutMs, n) =>
      pool.use(
        async () => {
          order.push(n);
          await tick();
        },
        { block: true, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
      ),
    );
    held.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3]);
    await pool.close();
  });

  it('resumes waiters in arrival order when several are served in one tick, whatever their options', async () => {
    // Found by the property test: a waiter with a signal or a timeout once resumed a turn late.
    const pool = new ClientPool(new SyncClient(), 2);
    const held = [await pool.reserve(), await pool.reserve()];
    const resumed: string[] = [];
    const withSignal = pool.reserve({ block: true, signal: new AbortController().signal });
    const plain = pool.reserve({ block: true });
    const withTimeout = pool.reserve({ block: true, timeoutMs: 5_000 });
    const plainAfter = pool.reserve({ block: true });
    for (const [name, waiter] of Object.entries({ withSignal, plain, withTimeout, plainAfter })) {
      waiter.then(() => resumed.push(name));
    }
    for (const lease of held) lease.release();
    const firstTwo = [await withSignal, await plain];
    for (const lease of firstTwo) lease.release();
    (await withTimeout).release();
    (await plainAfter).release();
    expect(resumed).toEqual(['withSignal', 'plain', 'withTimeout', 'plainAfter']);
    await pool.close();
  });

  it('gives the client to the next waiter when the oldest times out in the same tick as the release', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const held = await pool.reserve();
    const impatient = pool.reserve({ block: true, timeoutMs: 15 });
    const patient = pool.reserve({ block: true });
    // Scheduled after the waiter's timer with the same delay: the timeout fires first, then the release.
    setTimeout(() => held.release(), 15);
    await expect(impatient).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
    const lease = await patient;
    expect(lease.client.id).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 1, reserved: 1, available: 0, waiting: 0 });
    lease.release();
    await pool.close();
  });

  it('gives the client to a waiter whose timeout is due in the same tick when the release comes first', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const held = await pool.reserve();
    // The release timer is armed first, so it runs before the waiter's own timeout.
    const release = new Promise<void>((resolve) =>
      setTimeout(() => {
        held.release();
        resolve();
      }, 15),
    );
    const waiter = pool.reserve({ block: true, timeoutMs: 15 });
    await release;
    const lease = await waiter;
    expect(lease.client.id).toBe(1);
    await sleep(20);
    expect(pool.stats()).toMatchObject({ reserved: 1, timeouts: 0 });
    lease.release();
    expect(pool.stats()).toMatchObject({ available: 1, reserved: 0 });
    await pool.close();
  });

  it('hands the client to the next waiter when the oldest aborts', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const held = await pool.reserve();
    const controller = new AbortController();
    const aborted = pool.reserve({ block: true, signal: controller.signal });
    const patient = pool.reserve({ block: true });
    controller.abort(new Error('client went away'));
    held.release();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_RESERVE_ABORTED' });
    const lease = await patient;
    expect(lease.client.id).toBe(1);
    lease.release();
    await pool.close();
  });

  it('lets many waiters share one signal without a MaxListenersExceededWarning', async () => {
    const warnings = await warningsDuring(async () => {
      const pool = new ClientPool(new SyncClient(), 1);
      const held = await pool.reserve();
      const { signal } = new AbortController();
      const waiting = Array.from({ length: 20 }, () =>
        pool.reserve({ block: true, signal }).then((lease) => lease.release()),
      );
      expect(getEventListeners(signal, 'abort')).toHaveLength(1);
      held.release();
      await Promise.all(waiting);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      await pool.close();
    });
    expect(warnings).toEqual([]);
  });

  it('keeps FIFO order through a burst far larger than the ring it starts with', async () => {
    const pool = new ClientPool(new SyncClient(), 100);
    const leases = await Promise.all(Array.from({ length: 100 }, () => pool.reserve()));
    const ids = leases.map((lease) => lease.client.id);
    for (const lease of leases.slice().reverse()) lease.release();
    const again = await Promise.all(Array.from({ length: 100 }, () => pool.reserve()));
    expect(again.map((lease) => lease.client.id)).toEqual(ids.reverse());
    for (const lease of again) lease.release();
    await pool.close();
  });
});
