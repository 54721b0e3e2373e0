import { getEventListeners } from 'node:events';
import { TestClient, warningsDuring } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';
import { tick } from './helpers.js';

/** Starts a run() scope that holds its client until the returned function is called. */
async function occupy(pool: MappedPool<TestClient>): Promise<{ client: TestClient; end: () => Promise<void> }> {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  let client!: TestClient;
  let ready!: () => void;
  const reserved = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const scope = pool.run(async () => {
    await pool.use((c) => {
      client = c;
    });
    ready();
    await ended;
  });
  await reserved;
  return {
    client,
    end: async () => {
      end();
      await scope;
    },
  };
}

describe('maxClients', () => {
  it('rejects a reserve in a new context with ERR_POOL_EXHAUSTED at the bound, but serves mapped contexts', async () => {
    const pool = new MappedPool(new TestClient(), { maxClients: 1 });
    const held = await occupy(pool);
    await expect(pool.run(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
    // The root context is a context too.
    await expect(pool.reserve()).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
    await held.end();
    await expect(pool.use((client) => client.ping())).resolves.toBeGreaterThan(0);
    await pool.close();
  });

  it('gives the oldest waiter a fresh clone when a context relinquishes', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master, { maxClients: 1 });
    const held = await occupy(pool);
    const order: number[] = [];
    const waiters = [1, 2].map((n) =>
      pool.run(async () => {
        const client = await pool.use((c) => c, { block: true });
        order.push(n);
        return client;
      }),
    );
    await tick();
    expect(pool.stats().waiting).toBe(2);
    await held.end();
    const [first, second] = await Promise.all(waiters);
    expect(order).toEqual([1, 2]);
    expect(first).not.toBe(held.client);
    expect(second).not.toBe(first);
    expect(master.clones).toHaveLength(3);
    await pool.close();
  });

  it('rejects a waiter after timeoutMs and one whose signal aborts, and serves the next', async () => {
    const pool = new MappedPool(new TestClient(), { maxClients: 1 });
    const held = await occupy(pool);
    const controller = new AbortController();
    const timedOut = pool.run(() => pool.reserve({ block: true, timeoutMs: 10 }));
    const aborted = pool.run(() => pool.reserve({ block: true, signal: controller.signal }));
    const patient = pool.run(() => pool.use((client) => client.ping(), { block: true }));
    await tick();
    controller.abort(new Error('request gone'));
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_RESERVE_ABORTED' });
    await expect(timedOut).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
    expect(pool.stats().waiting).toBe(1);
    await held.end();
    await expect(patient).resolves.toBeGreaterThan(0);
    expect(pool.stats()).toMatchObject({ waiting: 0, size: 0 });
    await pool.close();
  });

  it('lets many waiters share one signal without a MaxListenersExceededWarning', async () => {
    const warnings = await warningsDuring(async () => {
      const pool = new MappedPool(new TestClient(), { maxClients: 1 });
      const held = await occupy(pool);
      const { signal } = new AbortController();
      const waiting = Array.from({ length: 20 }, () =>
        pool.run(() => pool.use((client) => client.ping(), { block: true, signal })),
      );
      await tick();
      expect(pool.stats().waiting).toBe(20);
      expect(getEventListeners(signal, 'abort')).toHaveLength(1);
      await held.end();
      await Promise.all(waiting);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      await pool.close();
    });
    expect(warnings).toEqual([]);
  });

  it('lets two waiting reserves of one context share the client the first one maps', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master, { maxClients: 1 });
    const held = await occupy(pool);
    const both = pool.run(async () => {
      const leases = await Promise.all([pool.reserve({ block: true }), pool.reserve({ block: true })]);
      const same = leases[0].client === leases[1].client;
      for (const lease of leases) lease.release();
      return same;
    });
    await tick();
    expect(pool.stats().waiting).toBe(2);
    await held.end();
    expect(await both).toBe(true);
    expect(master.clones).toHaveLength(2);
    // The second waiter passed its slot on, so capacity is whole again.
    await expect(pool.use(() => 'ok')).resolves.toBe('ok');
    await pool.close();
  });

  it('frees the capacity of a client relinquished while leased at once', async () => {
    const pool = new MappedPool(new TestClient(), { maxClients: 1 });
    const lease = await pool.reserve();
    pool.relinquish();
    const other = await pool.run(() => pool.use((client) => client));
    expect(other).not.toBe(lease.client);
    lease.release();
    await pool.close();
  });
});
