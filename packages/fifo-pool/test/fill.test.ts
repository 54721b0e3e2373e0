import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { ClientPool } from '../src/index.js';
import { SyncClient, settled, tick } from './helpers.js';

describe('fill', () => {
  it('holds every synchronous clone before the constructor returns', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 4);
    expect(pool.stats()).toMatchObject({ size: 4, slots: 4, available: 4, reserved: 0 });
    expect(master.clones).toHaveLength(4);
    await pool.close();
  });

  it('lets a non-blocking reserve made during an async fill wait for its clone', async () => {
    const pool = new ClientPool(new TestClient({ cloneDelayMs: 10 }), 2);
    expect(pool.stats()).toMatchObject({ size: 0, slots: 2 });
    const leases = await Promise.all([pool.reserve(), pool.reserve()]);
    expect(new Set(leases.map((lease) => lease.client)).size).toBe(2);
    for (const lease of leases) lease.release();
    await pool.close();
  });

  it('rejects a non-blocking reserve at once when every clone on its way is already owed', async () => {
    const pool = new ClientPool(new TestClient({ cloneDelayMs: 10 }), 2);
    const owed = [pool.reserve(), pool.reserve()];
    await expect(pool.reserve()).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
    for (const lease of await Promise.all(owed)) lease.release();
    await pool.close();
  });

  it('resolves fill once every clone is in, and adds to the clients already there', async () => {
    const master = new TestClient({ cloneDelayMs: 5 });
    const pool = new ClientPool(master, 1);
    await pool.fill(master, 3);
    expect(pool.stats()).toMatchObject({ size: 4, available: 4 });
    await pool.close();
  });

  it('fills an empty pool the pylibmc way and lends from it', async () => {
    const pool = new ClientPool<TestClient>();
    expect(pool.stats().size).toBe(0);
    await expect(pool.reserve()).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
    await pool.fill(new TestClient(), 4);
    expect(await pool.use((client) => client.ping())).toBe(1);
    await pool.close();
  });

  it('rejects fill with the clone error, keeps the other clones, and retries the slot when a reserve needs it', async () => {
    const master = new SyncClient({ async: true });
    const pool = new ClientPool<SyncClient>();
    master.failNextClones(1);
    await expect(pool.fill(master, 3)).rejects.toThrow('clone failed');
    expect(pool.stats()).toMatchObject({ size: 2, slots: 3, cloneFailures: 1 });
    const leases = [await pool.reserve(), await pool.reserve()];
    // Both idle clients are out; the missing slot is cloned for this reserve.
    const third = await pool.reserve();
    expect(pool.stats()).toMatchObject({ size: 3, reserved: 3 });
    for (const lease of [...leases, third]) lease.release();
    await pool.close();
  });

  it('rejects a waiting reserve with the clone error when no other clone can serve it', async () => {
    const master = new TestClient({ cloneDelayMs: 5 });
    master.failNextClone(new Error('server unreachable'));
    const pool = new ClientPool(master, 1);
    await expect(pool.reserve()).rejects.toThrow('server unreachable');
    expect(pool.stats()).toMatchObject({ waiting: 0, size: 0, slots: 1 });
    // The slot is retried, and succeeds now.
    const lease = await pool.reserve();
    expect(lease.client.isClosed).toBe(false);
    lease.release();
    await pool.close();
  });

  it('does not fail a waiter for a clone error when another clone on its way will serve it', async () => {
    const master = new TestClient({ cloneDelayMs: 5 });
    master.failNextClone();
    const pool = new ClientPool(master, 2);
    const lease = await pool.reserve();
    expect(lease.client.isClosed).toBe(false);
    lease.release();
    await pool.close();
  });

  it('fails every waiter when a dead server fails every clone, one retry per waiter', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 1);
    const held = await pool.reserve();
    const waiters = [pool.reserve({ block: true }), pool.reserve({ block: true }), pool.reserve({ block: true })];
    master.failNextClones(10);
    held.discard(new Error('connection reset'));
    for (const waiter of waiters) await expect(waiter).rejects.toThrow('clone failed');
    expect(pool.stats()).toMatchObject({ cloneFailures: 3, waiting: 0, size: 0, slots: 1 });
    await pool.close();
  });

  it('rejects fill on a synchronous clone that throws', async () => {
    const master = new SyncClient();
    master.failNextClones(1);
    const pool = new ClientPool<SyncClient>();
    await expect(pool.fill(master, 2)).rejects.toThrow('clone failed');
    expect(pool.stats()).toMatchObject({ size: 1, slots: 2 });
    await pool.close();
  });

  it('closes the clones that land after close, exactly once, and rejects their fill', async () => {
    const master = new TestClient({ cloneDelayMs: 10 });
    const pool = new ClientPool<TestClient>();
    const filling = pool.fill(master, 3);
    filling.catch(() => {});
    const waiter = pool.reserve();
    waiter.catch(() => {});
    await pool.close();
    await expect(filling).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(waiter).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect(master.clones).toHaveLength(3);
    for (const clone of master.clones) expect(clone.closeCount).toBe(1);
  });

  it('rejects fill after close, and invalid fill arguments', async () => {
    const pool = new ClientPool<SyncClient>();
    await expect(pool.fill({} as SyncClient, 1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(pool.fill(new SyncClient(), -1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(pool.fill(new SyncClient(), 1.5)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await pool.close();
    await expect(pool.fill(new SyncClient(), 1)).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });

  it('requires a slot count with a master in the constructor', () => {
    expect(() => new ClientPool(new SyncClient())).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new ClientPool(new SyncClient(), Number.NaN)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('serves a blocking reserve made before any fill once a fill brings a client', async () => {
    const pool = new ClientPool<TestClient>();
    const waiter = pool.reserve({ block: true });
    expect(await settled(waiter)).toBe(false);
    await pool.fill(new TestClient(), 1);
    const lease = await waiter;
    expect(lease.client.id).toBe(1);
    lease.release();
    await tick();
    await pool.close();
  });
});
