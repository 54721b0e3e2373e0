import { seededRandom, TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';
import { seed, tick } from './helpers.js';

describe('isolation of contexts', () => {
  it('gives each of 1,000 interleaved contexts only its own client, and relinquishes all after', async () => {
    const replay = seed();
    const next = seededRandom(replay);
    const message = `seed ${replay} (replay with CLONEPOOL_SEED=${replay})`;
    const master = new TestClient();
    const pool = new MappedPool(master);
    const owner = new Map<TestClient, number>();
    let foreign = 0;

    const contexts = Array.from({ length: 1_000 }, (_, n) =>
      pool.run(async () => {
        const steps = 1 + Math.floor(next() * 5);
        let mine: TestClient | undefined;
        for (let step = 0; step < steps; step++) {
          // Await a random mix of microtasks and macrotasks so contexts interleave in random order.
          const waits = Math.floor(next() * 4);
          for (let i = 0; i < waits; i++) {
            if (next() < 0.5) await tick();
            else await Promise.resolve();
          }
          const client = await pool.use(async (client) => {
            if (next() < 0.3) await tick();
            return client;
          });
          mine ??= client;
          if (client !== mine) foreign++;
          if (owner.has(client) && owner.get(client) !== n) foreign++;
          owner.set(client, n);
        }
        return mine;
      }),
    );
    const seen = await Promise.all(contexts);
    expect(foreign, message).toBe(0);
    expect(new Set(seen).size, message).toBe(1_000);
    expect(master.clones.length, message).toBe(1_000);
    const stats = pool.stats();
    expect(stats, message).toMatchObject({ size: 0, reserved: 0, contexts: 0, clones: 1_000, relinquished: 1_000 });
    await tick();
    for (const clone of master.clones) expect(clone.closeCount, message).toBe(1);
    await pool.close();
    for (const clone of master.clones) expect(clone.closeCount, message).toBe(1);
  });

  it('maps code outside any run() to one root context that outlives the scopes', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    const root = await pool.use((client) => client);
    const scoped = await pool.run(() => pool.use((client) => client));
    const rootAgain = await pool.use((client) => client);
    expect(rootAgain).toBe(root);
    expect(scoped).not.toBe(root);
    await tick();
    expect(root.isClosed).toBe(false);
    expect(scoped.isClosed).toBe(true);
    expect(pool.stats()).toMatchObject({ size: 1, contexts: 1 });
    await pool.close();
    expect(root.closeCount).toBe(1);
  });

  it('gives a run() nested in another run() a context of its own', async () => {
    const pool = new MappedPool(new TestClient());
    await pool.run(async () => {
      const outer = await pool.use((client) => client);
      const inner = await pool.run(() => pool.use((client) => client));
      expect(inner).not.toBe(outer);
      expect(await pool.use((client) => client)).toBe(outer);
    });
    await pool.close();
  });
});
