import type { Lease } from '@clonepool/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientPool } from '../src/index.js';
import { SyncClient } from './helpers.js';

type Action =
  | {
      readonly kind: 'reserve';
      readonly block: boolean;
      readonly timeoutMs: number | undefined;
      readonly abortable: boolean;
    }
  | { readonly kind: 'release'; readonly index: number }
  | { readonly kind: 'discard'; readonly index: number }
  | { readonly kind: 'abort'; readonly index: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'failClones'; readonly count: number }
  | { readonly kind: 'close'; readonly graceMs: number | undefined };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      block: fc.boolean(),
      timeoutMs: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      abortable: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('discard' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), index: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 25 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('failClones' as const), count: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('close' as const),
      graceMs: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    }),
  },
);

interface User {
  readonly seq: number;
  readonly block: boolean;
  readonly controller: AbortController | undefined;
  state: 'pending' | 'holding' | 'done';
  lease: Lease<SyncClient> | undefined;
}

/** Lets promise jobs and the (real) immediates between them run; timers are fake and only move on `advance`. */
async function flush(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('random interleavings of reserve, release, discard, abort, timeout and close', () => {
  it('keep every invariant at every step', { timeout: 60_000 }, async () => {
    const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.array(action, { maxLength: 40 }),
        async (asyncClone, slots, actions) => {
          vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
          try {
            await run(asyncClone, slots, actions);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 250), ...(seed === undefined ? {} : { seed }) },
    );
  });
});

async function run(asyncClone: boolean, slots: number, actions: readonly Action[]): Promise<void> {
  const master = new SyncClient({ async: asyncClone });
  const pool = new ClientPool(master, slots);
  const users: User[] = [];
  const lent = new Set<SyncClient>();
  const violations: string[] = [];
  let closing: Promise<void> | undefined;

  const holding = () => users.filter((user) => user.state === 'holding');
  const pending = () => users.filter((user) => user.state === 'pending');

  function reserve(step: Extract<Action, { kind: 'reserve' }>): void {
    const controller = step.block && step.abortable ? new AbortController() : undefined;
    const user: User = { seq: users.length, block: step.block, controller, state: 'pending', lease: undefined };
    users.push(user);
    const options = step.block
      ? {
          block: true,
          ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
          ...(controller === undefined ? {} : { signal: controller.signal }),
        }
      : undefined;
    pool.reserve(options).then(
      (lease) => {
        const client = lease.client;
        const earlier = users.filter((other) => other.seq < user.seq && other.state === 'pending');
        if (earlier.length > 0) violations.push(`user ${user.seq} served before waiting user ${earlier[0]?.seq}`);
        if (lent.has(client)) violations.push(`client ${client.id} lent twice at once`);
        if (client.closeCount > 0) violations.push(`closed client ${client.id} lent`);
        lent.add(client);
        user.lease = lease;
        user.state = 'holding';
      },
      (error: unknown) => {
        const code = (error as { code?: string }).code;
        const allowed = ['ERR_POOL_CLOSED', 'ERR_RESERVE_TIMEOUT', 'ERR_RESERVE_ABORTED', 'ERR_POOL_EXHAUSTED'];
        const cloneFailed = error instanceof Error && error.message.startsWith('clone failed');
        if (!cloneFailed && !allowed.includes(code ?? '')) violations.push(`user ${user.seq} rejected with ${error}`);
        user.state = 'done';
      },
    );
  }

  function giveBack(index: number, discard: boolean): void {
    const held = holding();
    const user = held[index % Math.max(1, held.length)];
    if (user?.lease === undefined) return;
    lent.delete(user.lease.client);
    if (discard) user.lease.discard(new Error('broken'));
    else user.lease.release();
    user.state = 'done';
  }

  function check(step: number): void {
    const stats = pool.stats();
    const where = `after step ${step} (${JSON.stringify(actions[step])})`;
    expect(stats.available + stats.reserved, `available + reserved = size ${where}`).toBe(stats.size);
    const open = holding().filter((user) => user.lease !== undefined && !isClosed(user.lease));
    expect(stats.reserved, `reserved = leases out ${where}`).toBe(open.length);
    expect(stats.waiting, `waiting = reserves pending ${where}`).toBe(pending().length);
    for (const clone of master.clones)
      expect(clone.closeCount, `client ${clone.id} closed once ${where}`).toBeLessThanOrEqual(1);
    expect(violations, where).toEqual([]);
  }

  // A lease whose client close() force-closed after its grace period is no longer counted as reserved.
  function isClosed(lease: Lease<SyncClient>): boolean {
    return lease.client.closeCount > 0;
  }

  await flush();
  for (const [step, next] of actions.entries()) {
    switch (next.kind) {
      case 'reserve':
        reserve(next);
        break;
      case 'release':
        giveBack(next.index, false);
        break;
      case 'discard':
        giveBack(next.index, true);
        break;
      case 'abort': {
        const abortable = pending().filter((user) => user.controller !== undefined);
        abortable[next.index % Math.max(1, abortable.length)]?.controller?.abort();
        break;
      }
      case 'advance':
        vi.advanceTimersByTime(next.ms);
        break;
      case 'failClones':
        master.failNextClones(next.count);
        break;
      case 'close':
        closing ??= pool.close(next.graceMs === undefined ? undefined : { graceMs: next.graceMs });
        break;
    }
    await flush();
    check(step);
  }

  // Wind down: give every lease back (each release may serve a waiter, who gives it back in turn), close, and let every timer run.
  for (let round = 0; round <= users.length && holding().length > 0; round++) {
    for (const user of holding()) {
      if (user.lease !== undefined) lent.delete(user.lease.client);
      user.lease?.release();
      user.state = 'done';
    }
    await flush();
  }
  closing ??= pool.close();
  vi.advanceTimersByTime(1_000);
  let closed = false;
  closing.then(
    () => (closed = true),
    () => (closed = true),
  );
  for (let i = 0; i < 10 && !closed; i++) await flush();
  expect(closed, `close() settled (stats ${JSON.stringify(pool.stats())})`).toBe(true);
  await closing;
  expect(pending(), 'every waiter settled').toEqual([]);
  expect(violations).toEqual([]);
  for (const clone of master.clones) expect(clone.closeCount, `client ${clone.id} closed exactly once`).toBe(1);
  expect(master.closeCount, 'the master is never closed').toBe(0);
  expect(pool.stats()).toMatchObject({ size: 0, available: 0, reserved: 0, waiting: 0 });
}
