import type { Lease } from '@clonepool/core';
import { TestClient } from '@clonepool/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';
import { tick } from './helpers.js';

type Step = 'reserve' | 'release' | 'discard' | 'relinquish' | 'tick' | 'microtask';

const step = fc.constantFrom<Step>('reserve', 'reserve', 'release', 'discard', 'relinquish', 'tick', 'microtask');

describe('invariants under random schedules (fast-check; a failure prints its seed and shrunk schedule)', () => {
  it('never lends one client to two contexts, never closes a client in use, and closes every clone exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        fc.integer({ min: 0, max: 3 }),
        async (schedules, maxClients, cloneDelayMs) => {
          const master = new TestClient({ cloneDelayMs });
          const pool = new MappedPool(master, { maxClients });
          const owner = new Map<TestClient, number>();
          const problems: string[] = [];
          const contexts = schedules.map((steps, n) =>
            pool.run(async () => {
              const held: Lease<TestClient>[] = [];
              // The context's client since its last relinquish or discard: every reserve until the next one gets it.
              let current: TestClient | undefined;
              for (const s of steps) {
                if (s === 'reserve') {
                  const lease = await pool.reserve({ block: true, timeoutMs: 1_000 });
                  const client = lease.client;
                  if (client.isClosed) problems.push(`context ${n} was lent closed client ${client.id}`);
                  const other = owner.get(client);
                  if (other !== undefined && other !== n)
                    problems.push(`client ${client.id} lent to ${other} and ${n}`);
                  owner.set(client, n);
                  if (current !== undefined && client !== current) {
                    problems.push(`context ${n} got client ${client.id} while client ${current.id} was still its own`);
                  }
                  current = client;
                  held.push(lease);
                } else if (s === 'release' || s === 'discard') {
                  const lease = held.pop();
                  if (lease?.client.isClosed) {
                    problems.push(`client ${lease.client.id} closed while leased`);
                  }
                  if (s === 'release') {
                    lease?.release();
                  } else if (lease !== undefined) {
                    if (lease.client === current) current = undefined;
                    lease.discard();
                  }
                } else if (s === 'relinquish') {
                  pool.relinquish();
                  current = undefined;
                } else if (s === 'tick') {
                  await tick();
                } else {
                  await Promise.resolve();
                }
              }
              for (const lease of held) {
                if (!lease.released && lease.client.isClosed)
                  problems.push(`client ${lease.client.id} closed while leased`);
                lease.release();
              }
            }),
          );
          await Promise.all(contexts);
          expect(problems).toEqual([]);
          expect(pool.stats()).toMatchObject({ size: 0, reserved: 0, waiting: 0, contexts: 0 });
          await pool.close();
          expect(master.clones.map((c) => c.closeCount)).toEqual(master.clones.map(() => 1));
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
