import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { type MappedPool, MappedPool as Pool } from '../src/index.js';
import { sleep } from './helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage until `done()` holds: FinalizationRegistry callbacks run in later tasks, not inside gc(). */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let round = 0; round < 50 && !done(); round++) {
    gc?.();
    await sleep(5);
  }
}

/** Starts a run() scope that reserves once and then never settles, and forgets it. */
function abandonScope(pool: MappedPool<TestClient>): void {
  void pool.run(async () => {
    await pool.use(() => {});
    await new Promise(() => {});
  });
}

describe.runIf(gc !== undefined)('reclamation after garbage collection', () => {
  it('closes the client of a context that was garbage-collected without relinquishing', async () => {
    const master = new TestClient();
    const pool = new Pool(master);
    for (let i = 0; i < 3; i++) abandonScope(pool);
    await sleep(1);
    expect(pool.stats()).toMatchObject({ size: 3, contexts: 3 });
    await collectUntil(() => pool.stats().reclaimed === 3);
    expect(pool.stats()).toMatchObject({ size: 0, reclaimed: 3 });
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1, 1]);
    await pool.close();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1, 1]);
  });

  it('reclaims a context whose client keeps a timer of its own, as socket clients do', async () => {
    // A client's timers and sockets record the async context they were made in;
    // the pool clones outside its contexts so they cannot keep one alive.
    const timers: NodeJS.Timeout[] = [];
    const master = {
      clone: () => {
        const heartbeat = setInterval(() => {}, 1_000);
        heartbeat.unref();
        timers.push(heartbeat);
        return { close: () => clearInterval(heartbeat) };
      },
    };
    const pool = new Pool(master);
    void pool.run(async () => {
      await pool.use(() => {});
      await new Promise(() => {});
    });
    await sleep(1);
    await collectUntil(() => pool.stats().reclaimed === 1);
    expect(pool.stats()).toMatchObject({ size: 0, reclaimed: 1 });
    await pool.close();
    for (const timer of timers) clearInterval(timer);
  });

  it('reclaims the client of an object key once the key is garbage-collected', async () => {
    const master = new TestClient();
    let tenant: object | undefined = { name: 'acme' };
    const pool = new Pool(master, { key: () => tenant });
    await pool.use(() => {});
    tenant = undefined;
    await collectUntil(() => pool.stats().reclaimed === 1);
    expect(pool.stats()).toMatchObject({ size: 0, reclaimed: 1, contexts: 0 });
    expect(master.clones[0]?.closeCount).toBe(1);
    await pool.close();
  });

  it('keeps the client of a context that is still reachable', async () => {
    const master = new TestClient();
    const pool = new Pool(master);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scope = pool.run(async () => {
      await pool.use(() => {});
      await held;
    });
    await collectUntil(() => false);
    expect(pool.stats()).toMatchObject({ size: 1, reclaimed: 0 });
    release();
    await scope;
    expect(pool.stats()).toMatchObject({ size: 0, reclaimed: 0, relinquished: 1 });
    await pool.close();
  });
});
