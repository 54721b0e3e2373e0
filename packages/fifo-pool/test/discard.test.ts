import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { ClientPool, channelNames } from '../src/index.js';
import { SyncClient, settled, tick } from './helpers.js';

describe('discarding broken clients', () => {
  it('closes a discarded client once and puts a fresh clone in its slot', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 2);
    const lease = await pool.reserve();
    const broken = lease.client;
    lease.discard(new Error('connection reset'));
    await tick();
    expect(broken.closeCount).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 2, available: 2, reserved: 0, discards: 1 });
    const ids = [await pool.use((c) => c.id), await pool.use((c) => c.id)];
    expect(ids).not.toContain(broken.id);
    await pool.close();
    expect(broken.closeCount).toBe(1);
  });

  it('publishes the discard reason on the diagnostics channel', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    const seen: unknown[] = [];
    const listener = (message: unknown) => seen.push((message as { reason: unknown }).reason);
    subscribe(channelNames.discard, listener);
    try {
      const lease = await pool.reserve();
      const reason = new Error('protocol desync');
      lease.discard(reason);
      expect(seen).toEqual([reason]);
    } finally {
      unsubscribe(channelNames.discard, listener);
    }
    await pool.close();
  });

  it('gives the replacement to the oldest waiter', async () => {
    const master = new SyncClient({ async: true });
    const pool = new ClientPool(master, 1);
    const held = await pool.reserve();
    const first = pool.reserve({ block: true });
    const second = pool.reserve({ block: true });
    held.discard();
    const lease = await first;
    expect(lease.client.id).toBe(2);
    expect(await settled(second)).toBe(false);
    lease.release();
    (await second).release();
    await pool.close();
  });

  it('rejects the oldest waiter when the replacement clone fails, and refills the slot on a later reserve', async () => {
    const master = new SyncClient({ async: true });
    const pool = new ClientPool(master, 2);
    const [a, b] = [await pool.reserve(), await pool.reserve()];
    const waiter = pool.reserve({ block: true, timeoutMs: 5_000 });
    master.failNextClones(1);
    a.discard();
    await expect(waiter).rejects.toThrow('clone failed');
    expect(pool.stats()).toMatchObject({ size: 1, slots: 2, reserved: 1, cloneFailures: 1 });
    // The pool keeps its size: the missing slot is cloned when a reserve finds nothing idle.
    const c = await pool.reserve();
    expect(pool.stats()).toMatchObject({ size: 2, slots: 2, reserved: 2 });
    b.release();
    c.release();
    await pool.close();
    for (const clone of master.clones) expect(clone.closeCount).toBe(1);
  });

  it('keeps a missing slot until a reserve needs it, when nobody was waiting', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 1);
    const lease = await pool.reserve();
    master.failNextClones(1);
    lease.discard();
    expect(pool.stats()).toMatchObject({ size: 0, slots: 1 });
    const again = await pool.reserve();
    expect(again.client.id).toBe(2);
    again.release();
    await pool.close();
  });

  it('closes a client discarded after close exactly once', async () => {
    const master = new SyncClient();
    const pool = new ClientPool(master, 1);
    const lease = await pool.reserve();
    const closing = pool.close();
    lease.discard();
    await closing;
    expect(master.clones.map((c) => c.closeCount)).toEqual([1]);
    expect(pool.stats()).toMatchObject({ size: 0, discards: 1 });
  });
});

describe('validate', () => {
  it('replaces an idle client that fails validation and lends a healthy one', async () => {
    const master = new SyncClient();
    const bad = new Set<number>([1]);
    const pool = new ClientPool(master, 2, { validate: (client) => !bad.has(client.id) });
    const lease = await pool.reserve();
    expect(lease.client.id).toBe(2);
    expect(master.clones[0]?.closeCount).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 2, reserved: 1, available: 1, discards: 1 });
    lease.release();
    await pool.close();
  });

  it('waits for the replacement when every idle client is bad, also for a non-blocking reserve', async () => {
    const master = new SyncClient({ async: true });
    const pool = new ClientPool(master, 2, { validate: async (client) => client.id > 2 });
    await tick();
    const lease = await pool.reserve();
    expect(lease.client.id).toBeGreaterThan(2);
    lease.release();
    await pool.close();
    for (const clone of master.clones) expect(clone.closeCount).toBe(1);
  });

  it.each([
    { kind: 'non-blocking', block: false, clone: 'sync', async: false },
    { kind: 'non-blocking', block: false, clone: 'async', async: true },
    { kind: 'blocking', block: true, clone: 'sync', async: false },
    { kind: 'blocking', block: true, clone: 'async', async: true },
  ])(
    'gives a $kind reserve whose idle client failed validation the replacement ($clone clone), ahead of later waiters',
    async ({ block, async }) => {
      const master = new SyncClient({ async });
      const checks: ((healthy: boolean) => void)[] = [];
      const pool = new ClientPool(master, 1, {
        validate: () => new Promise<boolean>((resolve) => checks.push(resolve)),
      });
      await tick();
      // The reserve takes the only idle client; while its check runs, a later reserve has to wait.
      const first = pool.reserve({ block });
      await tick();
      expect(checks).toHaveLength(1);
      const later = pool.reserve({ block: true });
      checks[0]?.(false);
      expect(await settled(first)).toBe(true);
      const lease = await first;
      expect(lease.client.id).toBe(2);
      expect(await settled(later)).toBe(false);
      lease.release();
      const next = await later;
      expect(next.client.id).toBe(2);
      next.release();
      await pool.close();
      expect(master.clones.map((clone) => clone.closeCount)).toEqual([1, 1]);
    },
  );

  it('treats a validate that throws as a failed check', async () => {
    const master = new SyncClient();
    let calls = 0;
    const pool = new ClientPool(master, 2, {
      validate: () => {
        if (++calls === 1) throw new Error('ping failed');
        return true;
      },
    });
    const lease = await pool.reserve();
    expect(lease.client.id).toBe(2);
    expect(pool.stats().discards).toBe(1);
    lease.release();
    await pool.close();
  });

  it('does not check a client handed straight from a release to a waiter', async () => {
    let checks = 0;
    const pool = new ClientPool(new SyncClient(), 1, {
      validate: () => {
        checks++;
        return true;
      },
    });
    const held = await pool.reserve();
    expect(checks).toBe(1);
    const waiter = pool.reserve({ block: true });
    held.release();
    (await waiter).release();
    expect(checks).toBe(1);
    await pool.close();
  });

  it('closes a client whose check was still running when the pool closed', async () => {
    const master = new SyncClient();
    let pass!: (ok: boolean) => void;
    const pool = new ClientPool(master, 1, { validate: () => new Promise<boolean>((resolve) => (pass = resolve)) });
    const reserving = pool.reserve();
    await tick();
    expect(pool.stats()).toMatchObject({ reserved: 1, available: 0 });
    const closing = pool.close();
    pass(true);
    await expect(reserving).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await closing;
    expect(master.clones[0]?.closeCount).toBe(1);
  });
});
