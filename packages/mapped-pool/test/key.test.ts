import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';
import { sleep } from './helpers.js';

describe('a custom key', () => {
  it('maps by the key value: one client per tenant, shared across unrelated async paths', async () => {
    const master = new TestClient();
    let tenant = 'acme';
    const pool = new MappedPool(master, { key: () => tenant });
    const acme = await pool.use((client) => client);
    const acmeLater = await new Promise<TestClient>((resolve) => {
      setTimeout(() => resolve(pool.use((client) => client)), 1);
    });
    tenant = 'globex';
    const globex = await pool.use((client) => client);
    expect(acmeLater).toBe(acme);
    expect(globex).not.toBe(acme);
    expect(pool.stats()).toMatchObject({ size: 2, contexts: 2, clones: 2 });
    await pool.close();
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1]);
  });

  it('runs fn as is in run(): a key context outlives run() until relinquish() under that key', async () => {
    const master = new TestClient();
    let tenant: string | number = 'acme';
    const pool = new MappedPool(master, { key: () => tenant });
    const inside = await pool.run(() => pool.use((client) => client));
    await sleep(1);
    expect(inside.isClosed).toBe(false);
    expect(await pool.use((client) => client)).toBe(inside);
    tenant = 7;
    expect(pool.relinquish()).toBe(false);
    tenant = 'acme';
    expect(pool.relinquish()).toBe(true);
    expect(inside.closeCount).toBe(1);
    expect(await pool.use((client) => client)).not.toBe(inside);
    await pool.close();
  });

  it('tells apart keys that are equal only by SameValueZero or identity', async () => {
    let key: unknown = 1;
    const pool = new MappedPool(new TestClient(), { key: () => key });
    const seen = new Map<string, TestClient>();
    const a = {};
    const b = {};
    for (const [name, value] of [
      ['1', 1],
      ['"1"', '1'],
      ['NaN', Number.NaN],
      ['NaN again', Number.NaN],
      ['a', a],
      ['b', b],
      ['a again', a],
    ] as const) {
      key = value;
      seen.set(name, await pool.use((client) => client));
    }
    expect(seen.get('1')).not.toBe(seen.get('"1"'));
    expect(seen.get('NaN')).toBe(seen.get('NaN again'));
    expect(seen.get('a')).toBe(seen.get('a again'));
    expect(seen.get('a')).not.toBe(seen.get('b'));
    expect(pool.stats().clones).toBe(5);
    await pool.close();
  });

  it('rejects the reserve when the key function throws', async () => {
    const pool = new MappedPool(new TestClient(), {
      key: () => {
        throw new Error('no tenant');
      },
    });
    await expect(pool.reserve()).rejects.toThrow('no tenant');
    await pool.close();
  });

  it('drops a primitive key from its table once its client is dropped', async () => {
    let id = 0;
    const pool = new MappedPool(new TestClient(), { key: () => id, idleTimeoutMs: 10 });
    for (id = 0; id < 5; id++) await pool.use(() => {});
    expect(pool.stats()).toMatchObject({ contexts: 5, size: 5 });
    await sleep(40);
    expect(pool.stats()).toMatchObject({ contexts: 0, size: 0, idleClosed: 5 });
    await pool.close();
  });
});
