// What a client keeps alive, measured with real numbers after a collection (--expose-gc, see
// vitest.config.ts): the buffers of a burst it has written, and the async contexts of its callers.
import { AsyncLocalStorage } from 'node:async_hooks';
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
