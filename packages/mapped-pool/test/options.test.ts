import { TestClient } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { MappedPool, type MappedPoolOptions } from '../src/index.js';

describe('options', () => {
  it.each<[string, unknown]>([
    ['maxClients', 0],
    ['maxClients', 1.5],
    ['maxClients', '2'],
    ['idleTimeoutMs', 0],
    ['idleTimeoutMs', Number.NaN],
    ['key', 'tenant'],
    ['name', ''],
    ['name', 42],
  ])('rejects %s = %s with ERR_INVALID_ARG_VALUE naming the option', (name, value) => {
    expect(() => new MappedPool(new TestClient(), { [name]: value } as MappedPoolOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(name) }),
    );
  });

  it('rejects unknown option names, naming the unknown one and listing the known ones', () => {
    // A misspelt bound would otherwise leave the pool unbounded without a word.
    expect(() => new MappedPool(new TestClient(), { maxClient: 10 } as MappedPoolOptions)).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(
          /^Option maxClient is not one new MappedPool\(\) knows; its options are maxClients, idleTimeoutMs, key/,
        ),
      }),
    );
    expect(() => new MappedPool(new TestClient(), { idleTimeout: 10 } as MappedPoolOptions)).toThrow(/idleTimeout /);
    expect(() => new MappedPool(new TestClient(), [] as MappedPoolOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('rejects a master without clone()', () => {
    expect(() => new MappedPool({} as TestClient)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new MappedPool(null as unknown as TestClient)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('rejects run() without a function', async () => {
    const pool = new MappedPool(new TestClient());
    await expect(pool.run('nope' as unknown as () => void)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('shows its name and maxClients to diagnostics', async () => {
    const pool = new MappedPool(new TestClient(), { name: 'per-request', maxClients: 8 });
    expect([pool.name, pool.maxClients]).toEqual(['per-request', 8]);
    const plain = new MappedPool(new TestClient());
    expect([plain.name, plain.maxClients]).toEqual([undefined, Number.POSITIVE_INFINITY]);
    await Promise.all([pool.close(), plain.close()]);
  });

  it('takes maxClients: Infinity and undefined options', async () => {
    const pool = new MappedPool(new TestClient(), {
      maxClients: Number.POSITIVE_INFINITY,
      idleTimeoutMs: undefined,
      key: undefined,
    });
    await expect(pool.use((client) => client.ping())).resolves.toBe(1);
    await pool.close();
  });
});
