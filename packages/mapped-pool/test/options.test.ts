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
  ])('rejects %s = %s with ERR_INVALID_OPTION naming the option', (name, value) => {
    expect(() => new MappedPool(new TestClient(), { [name]: value } as MappedPoolOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining(name) }),
    );
  });

  it('rejects a master without clone()', () => {
    expect(() => new MappedPool({} as TestClient)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => new MappedPool(null as unknown as TestClient)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });

  it('rejects run() without a function', async () => {
    const pool = new MappedPool(new TestClient());
    await expect(pool.run('nope' as unknown as () => void)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
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
