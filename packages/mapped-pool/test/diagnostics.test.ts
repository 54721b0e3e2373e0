import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { TestClient } from '@clonepool/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { channelNames, MappedPool } from '../src/index.js';

const events: string[] = [];
const onClone = (message: unknown) => events.push(`clone ${(message as { client: TestClient }).client.id}`);
const onDrop = (message: unknown) => {
  const { client, reason } = message as { client: TestClient; reason: string };
  events.push(`drop ${client.id} ${reason}`);
};

afterEach(() => {
  unsubscribe(channelNames.clone, onClone);
  unsubscribe(channelNames.drop, onDrop);
  events.length = 0;
});

describe('diagnostics channels', () => {
  it('publishes clones and drops with their reason', async () => {
    subscribe(channelNames.clone, onClone);
    subscribe(channelNames.drop, onDrop);
    const pool = new MappedPool(new TestClient());
    await pool.run(() => pool.use(() => {}));
    await pool.use(() => {});
    pool.relinquish();
    await pool.run(async () => {
      const lease = await pool.reserve();
      lease.discard();
    });
    await pool.use(() => {});
    await pool.close();
    expect(events).toEqual([
      'clone 1',
      'drop 1 scope-end',
      'clone 2',
      'drop 2 relinquish',
      'clone 3',
      'drop 3 discard',
      'clone 4',
      'drop 4 close',
    ]);
  });

  it('publishes a client that failed to close', async () => {
    const failures: unknown[] = [];
    const onError = (message: unknown) => failures.push((message as { error: unknown }).error);
    subscribe(channelNames.closeError, onError);
    const pool = new MappedPool({
      clone: () => ({
        close: async () => {
          throw new Error('socket already gone');
        },
      }),
    });
    await pool.use(() => {});
    await pool.close();
    unsubscribe(channelNames.closeError, onError);
    expect(failures).toEqual([new Error('socket already gone')]);
  });

  it('publishes a failed clone with how long it took, and the reserve it failed', async () => {
    const failures: unknown[] = [];
    const refused: unknown[] = [];
    const onCloneError = (message: unknown) => failures.push(message);
    const onReserveError = (message: unknown) => refused.push(message);
    subscribe(channelNames.cloneError, onCloneError);
    subscribe(channelNames.reserveError, onReserveError);
    try {
      const master = new TestClient({ cloneDelayMs: 10 });
      const failure = new Error('ECONNREFUSED');
      master.failNextClone(failure);
      const pool = new MappedPool(master);
      await expect(pool.use(() => {})).rejects.toBe(failure);
      expect(failures).toEqual([{ pool, error: failure, durationMs: expect.any(Number) }]);
      expect((failures[0] as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(9);
      expect(refused).toEqual([{ pool, error: failure, waitedMs: expect.any(Number) }]);
      await pool.close();
    } finally {
      unsubscribe(channelNames.cloneError, onCloneError);
      unsubscribe(channelNames.reserveError, onReserveError);
    }
  });

  it('names every channel clonepool:mapped-pool:<event> in one frozen table', () => {
    expect(Object.isFrozen(channelNames)).toBe(true);
    for (const name of Object.values(channelNames)) expect(name).toMatch(/^clonepool:mapped-pool:[a-z-]+$/);
    expect(channelNames.drop).toBe('clonepool:mapped-pool:drop');
  });
});
