import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientPool, channelNames } from '../src/index.js';
import { SyncClient, sleep } from './helpers.js';

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
  it('publishes each lease lent, and how long it waited', async () => {
    const reserves = listen(channelNames.reserve);
    const releases = listen(channelNames.release);
    const pool = new ClientPool(new SyncClient(), 1);
    const first = await pool.reserve();
    const waiting = pool.reserve({ block: true });
    await sleep(20);
    first.release();
    (await waiting).release();
    expect(reserves).toEqual([
      { pool, client: expect.any(SyncClient), waitedMs: expect.any(Number) },
      { pool, client: expect.any(SyncClient), waitedMs: expect.any(Number) },
    ]);
    const [fast, slow] = reserves as { waitedMs: number }[];
    expect(fast?.waitedMs).toBeGreaterThanOrEqual(0);
    expect(slow?.waitedMs).toBeGreaterThanOrEqual(15);
    expect(releases).toEqual([
      { pool, client: expect.any(SyncClient), heldMs: expect.any(Number), discarded: false },
      { pool, client: expect.any(SyncClient), heldMs: expect.any(Number), discarded: false },
    ]);
    expect((releases[0] as { heldMs: number }).heldMs).toBeGreaterThanOrEqual(15);
    await pool.close();
  });

  it('publishes clone failures, with how long the clone took', async () => {
    const failures = listen(channelNames.cloneError);
    const master = new SyncClient();
    master.failNextClones(1);
    const pool = new ClientPool(master, 1);
    expect(failures).toEqual([
      {
        pool,
        error: expect.objectContaining({ message: expect.stringContaining('clone') }),
        durationMs: expect.any(Number),
      },
    ]);
    await pool.close();
  });

  it('publishes every clone, the first fill and a replacement alike', async () => {
    const clones = listen(channelNames.clone);
    const pool = new ClientPool(new SyncClient(), 2);
    expect(clones).toEqual([
      { pool, client: expect.any(SyncClient), durationMs: expect.any(Number) },
      { pool, client: expect.any(SyncClient), durationMs: expect.any(Number) },
    ]);
    (await pool.reserve()).discard('broken');
    expect(clones).toHaveLength(3);
    await pool.close();
  });

  it('publishes a client whose close failed, whether discarded or closed with the pool', async () => {
    const closeErrors = listen(channelNames.closeError);
    const failure = new Error('EPIPE');
    let made = 0;
    const pool = new ClientPool({ clone: () => ({ id: ++made, close: () => Promise.reject(failure) }) }, 2);
    (await pool.reserve()).discard('broken');
    await expect(pool.close()).rejects.toBeInstanceOf(AggregateError);
    expect(closeErrors).toEqual(
      [1, 2, 3].map(() => ({ pool, client: expect.objectContaining({ id: expect.any(Number) }), error: failure })),
    );
  });

  it('names every channel clonepool:fifo-pool:<event> in one frozen table', () => {
    expect(Object.isFrozen(channelNames)).toBe(true);
    for (const name of Object.values(channelNames)) expect(name).toMatch(/^clonepool:fifo-pool:[a-z-]+$/);
    expect(channelNames.leak).toBe('clonepool:fifo-pool:leak');
  });
});
