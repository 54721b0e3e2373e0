import { describe, expect, it } from 'vitest';
import { ClientPool } from '../src/index.js';
import { SyncClient } from './helpers.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });

describe('options', () => {
  it('rejects unknown option names, naming them', () => {
    expect(() => new ClientPool(new SyncClient(), 1, { leakDetectionMS: 10 } as never)).toThrow(/leakDetectionMS/);
    expect(() => new ClientPool(new SyncClient(), 1, { leakDetectionMS: 10 } as never)).toThrow(invalid);
    expect(() => new ClientPool(new SyncClient(), 1, { leakDetectionMS: 10 } as never)).toThrow(
      'Option leakDetectionMS is not one new ClientPool() knows; its options are validate, leakDetectionMs',
    );
  });

  it('rejects unknown close option names, listing the known one, and stays open', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    await expect(pool.close({ grace: 5 } as never)).rejects.toThrow(
      'Option grace is not one close() knows; its options are graceMs.',
    );
    expect(pool.isClosed).toBe(false);
    await pool.close();
  });

  it('takes a name, which diagnostics read as pool.name, and refuses an empty one', async () => {
    const named = new ClientPool(new SyncClient(), 1, { name: 'sessions' });
    expect(named.name).toBe('sessions');
    expect(new ClientPool(new SyncClient(), 1).name).toBeUndefined();
    expect(new ClientPool<SyncClient>(undefined, undefined, { name: 'empty' }).name).toBe('empty');
    expect(() => new ClientPool(new SyncClient(), 1, { name: '' })).toThrow(invalid);
    expect(() => new ClientPool(new SyncClient(), 1, { name: 7 } as never)).toThrow(/Option name /);
    await named.close();
  });

  it('rejects options of the wrong type', () => {
    expect(() => new ClientPool(new SyncClient(), 1, { validate: true } as never)).toThrow(invalid);
    expect(() => new ClientPool(new SyncClient(), 1, { leakDetectionMs: 0 })).toThrow(invalid);
    expect(() => new ClientPool(new SyncClient(), 1, { leakDetectionMs: Number.POSITIVE_INFINITY })).toThrow(invalid);
    expect(() => new ClientPool(new SyncClient(), 1, null as never)).toThrow(invalid);
    expect(() => new ClientPool({} as never, 1)).toThrow(invalid);
  });

  it('rejects invalid reserve options without lending anything', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    await expect(pool.reserve({ block: 'yes' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(pool.reserve({ signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
    expect(pool.stats()).toMatchObject({ reserved: 0, available: 1, reserves: 0 });
    await pool.close();
  });
});

describe('public surface', () => {
  it('keeps the lease-settling method private: only a lease gives a client back', async () => {
    const pool = new ClientPool(new SyncClient(), 1);
    expect('settle' in pool).toBe(false);
    const lease = await pool.reserve();
    lease.release();
    expect(pool.stats()).toMatchObject({ reserved: 0, available: 1 });
    await pool.close();
  });
});
