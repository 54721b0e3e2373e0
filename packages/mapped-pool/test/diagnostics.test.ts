import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { TestClient } from '@clonepool/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { channels, MappedPool } from '../src/index.js';

const events: string[] = [];
const onClone = (message: unknown) => events.push(`clone ${(message as { client: TestClient }).client.id}`);
const onDrop = (message: unknown) => {
  const { client, reason } = message as { client: TestClient; reason: string };
  events.push(`drop ${client.id} ${reason}`);
};

afterEach(() => {
  unsubscribe(channels.clone.name, onClone);
  unsubscribe(channels.drop.name, onDrop);
  events.length = 0;
});

describe('diagnostics channels', () => {
  it('publishes clones and drops with their reason', async () => {
    subscribe(channels.clone.name, onClone);
    subscribe(channels.drop.name, onDrop);
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
    subscribe(channels.closeError.name, onError);
    const pool = new MappedPool({
      clone: () => ({
        close: async () => {
          throw new Error('socket already gone');
        },
      }),
    });
    await pool.use(() => {});
    await pool.close();
    unsubscribe(channels.closeError.name, onError);
    expect(failures).toEqual([new Error('socket already gone')]);
  });
});
