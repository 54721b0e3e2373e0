import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientPool, diagnosticsChannels } from '../src/index.js';
import { SyncClient } from './helpers.js';

const subscriptions: [string, (message: unknown) => void][] = [];

function listen(name: string): unknown[] {
  const messages: unknown[] = [];
  const listener = (message: unknown) => messages.push(message);
  subscribe(name, listener);
  subscriptions.push([name, listener]);
  return messages;
}

afterEach(() => {
  for (const [name, listener] of subscriptions.splice(0)) unsubscribe(name, listener);
});

describe('diagnostics channels', () => {
  it('publishes each lease lent, and whether it waited', async () => {
    const reserves = listen(diagnosticsChannels.reserve);
    const releases = listen(diagnosticsChannels.release);
    const pool = new ClientPool(new SyncClient(), 1);
    const first = await pool.reserve();
    const waiting = pool.reserve({ block: true });
    first.release();
    (await waiting).release();
    expect(reserves).toEqual([
      { pool, client: expect.any(SyncClient), waited: false },
      { pool, client: expect.any(SyncClient), waited: true },
    ]);
    expect(releases).toHaveLength(2);
    await pool.close();
  });

  it('publishes clone failures', async () => {
    const failures = listen(diagnosticsChannels.cloneError);
    const master = new SyncClient();
    master.failNextClones(1);
    const pool = new ClientPool(master, 1);
    expect(failures).toEqual([{ pool, error: expect.objectContaining({ message: expect.stringContaining('clone') }) }]);
    await pool.close();
  });

  it('names every channel clonepool:pool:<event>', () => {
    for (const name of Object.values(diagnosticsChannels)) expect(name).toMatch(/^clonepool:pool:[a-z-]+$/);
  });
});
