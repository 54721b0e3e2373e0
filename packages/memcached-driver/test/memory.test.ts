// What a client keeps alive, measured with real numbers after a collection (--expose-gc, see
// vitest.config.ts): the buffers of a burst it has written, and the async contexts of its callers.
import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { warningsDuring } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import { ownServer, sleep, track } from './support.ts';

function collect(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts passes it)');
  gc();
}

describe('a client keeps nothing a caller made', () => {
  it('no socket or timer it makes keeps the async context of the command that made it alive', async () => {
    const server = await ownServer();
    // Made outside any context, as a pool makes its clones.
    const client = track(new Client(server.address, { timeoutMs: 60_000, connectTimeoutMs: 60_000 }));
    const storage = new AsyncLocalStorage<{ request: number }>();
    const collected: number[] = [];
    const registry = new FinalizationRegistry<number>((request) => collected.push(request));
    // A plain function, so no suspended async frame holds a store in a register.
    const command = (request: number): Promise<boolean> => {
      const store = { request };
      registry.register(store, request);
      return storage.run(store, () => client.set(`ctx:${request}`, request));
    };
    const requests = 20;
    // The first command connects lazily, inside its request's context, and arms the deadline timer.
    for (let request = 0; request < requests; request++) await command(request);
    // The client stays open, connected, with its deadline timer armed for a minute.
    for (let round = 0; round < 20 && collected.length < requests; round++) {
      collect();
      await sleep(10);
    }
    expect(collected.length).toBe(requests);
    expect(await client.get('ctx:0')).toBe(0);
  });
});

describe('a burst', () => {
  it('does not keep its command buffer once written: 100k 1 KB sets leave arrayBuffers where they were', async () => {
    const server = await ownServer({ args: ['-m', '256'] });
    const client = track(new Client(server.address));
    await client.get('warm'); // connected: the burst goes into the writer in one tick
    const value = 'x'.repeat(1024);
    const settle = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        collect();
        await sleep(20);
      }
      return process.memoryUsage().arrayBuffers;
    };
    const before = await settle();
    const burst: Promise<boolean>[] = [];
    for (let i = 0; i < 100_000; i++) burst.push(client.set(`burst:${i}`, value));
    expect((await Promise.all(burst)).every((stored) => stored)).toBe(true);
    burst.length = 0;
    const after = await settle();
    // The burst's commands took over 100 MB; an idle client keeps its 64 KiB chunk.
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
    // And it still works, with a burst's worth of room made again when needed.
    expect(await client.get('burst:99999')).toBe(value);
  });

  it('of noreply sets does not keep its command buffer once the socket has written it', async () => {
    const server = await ownServer({ args: ['-m', '256'] });
    const client = track(new Client(server.address));
    await client.get('warm');
    const value = 'y'.repeat(1024);
    collect();
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 100_000; i++) void client.set(`quiet:${i}`, value, { noreply: true });
    // No reply tells when the socket is done; wait until what it held can be collected.
    let after = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 100 && after - before >= 8 * 1024 * 1024; round++) {
      await sleep(50);
      collect();
      after = process.memoryUsage().arrayBuffers;
    }
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
    expect(await client.get('quiet:99999')).toBe(value);
  });
});

describe('getOrSet keeps nothing of its calls', () => {
  it('20k calls with one long-lived signal leave no listener on it and the heap where it was', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    // A signal that lives as long as the process (a server's shutdown signal, say).
    const shutdown = new AbortController();
    const rounds = async (count: number) => {
      for (let round = 0; round < count; round++) {
        const keys = Array.from({ length: 50 }, (_, i) => `mem:${i}`);
        await Promise.all(keys.map((key, i) => client.getOrSet(key, () => i, { ttl: 60, signal: shutdown.signal })));
      }
    };
    const heap = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        collect();
        await sleep(20);
      }
      return process.memoryUsage().heapUsed;
    };
    // One listener on the signal for all the calls waiting on it: no MaxListenersExceededWarning.
    expect(await warningsDuring(() => rounds(100))).toEqual([]);
    const before = await heap();
    await rounds(400);
    const after = await heap();
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    expect(after - before).toBeLessThan(1024 * 1024);
  });

  it('a caller that timed out waiting, or was aborted, leaves no timer behind', async () => {
    const server = await ownServer();
    // A short timeoutMs: the connections' deadline timers are gone 50 ms after their last reply.
    const winner = track(new Client(server.address, { timeoutMs: 50 }));
    const other = track(new Client(server.address, { timeoutMs: 50 }));
    const timers = async () => {
      await sleep(100);
      return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    };
    let release: (value: string) => void = () => {};
    const refreshing = winner.getOrSet('k', () => new Promise<string>((resolve) => (release = resolve)), { ttl: 60 });
    const before = await timers();
    await expect(other.getOrSet('k', () => 'x', { ttl: 60, waitMs: 30 })).rejects.toMatchObject({
      code: 'ERR_MEMCACHED_WAIT_TIMEOUT',
    });
    const controller = new AbortController();
    const aborted = other.getOrSet('k', () => 'x', { ttl: 60, waitMs: 60_000, signal: controller.signal });
    await sleep(30);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED' });
    expect(await timers()).toBe(before);
    release('v');
    expect(await refreshing).toBe('v');
  });
});
