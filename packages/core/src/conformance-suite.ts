import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { Lease } from './lease.js';
import type { Pool, ReserveDefaults, ReserveOptions } from './pool.js';
import { type PoolChannelNames, poolChannelNames } from './pool-channels.js';
import { seededRandom } from './seeded-random.js';
import { TestClient, type TestClientOptions } from './test-client.js';
import { warningsDuring } from './warnings-during.js';

/**
 * A pool under test, and how to act as one of its independent users.
 *
 * @example
 * ```ts doctest:skip registers vitest tests, so it runs only inside a vitest test file
 * import { describePoolConformance } from '@clonepool/core/conformance';
 * import { MyContextPool } from '../src/my-context-pool.js';
 *
 * // A context-mapped pool's users are its contexts, so each user runs in pool.run().
 * describePoolConformance('MyContextPool', (master, capacity) => {
 *   const pool = new MyContextPool(master, { maxClients: capacity });
 *   return { pool, asUser: (fn) => pool.run(fn) };
 * });
 * ```
 */
export interface ConformanceSubject {
  /** The pool, filled with clones of the master the suite passed in. */
  readonly pool: Pool<TestClient>;
  /**
   * Runs `fn` as one independent user of the pool: for a FIFO pool just `fn()`,
   * for a context-mapped pool a new context (`pool.run(fn)`). A user's clients
   * may be given to another user only after its `fn` has settled.
   * @default (fn) => fn()
   */
  readonly asUser?: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * What the suite asks of the pool beyond its master and capacity.
 *
 * @example
 * ```ts doctest:skip registers vitest tests, so it runs only inside a vitest test file
 * import { describePoolConformance } from '@clonepool/core/conformance';
 * import { MyPool } from '../src/my-pool.js';
 *
 * // Hand the defaults on as the pool's own option for them.
 * describePoolConformance('MyPool', (master, capacity, { reserve }) => ({ pool: new MyPool(master, capacity, { reserve }) }));
 * ```
 */
export interface ConformanceOptions {
  /**
   * The pool's default reserve options, which every `reserve()` and `use()`
   * that leaves an option out takes (see `ReserveDefaults`); `undefined`
   * for pylibmc's non-blocking reserve.
   */
  readonly reserve?: ReserveDefaults | undefined;
}

/**
 * Makes a fresh pool for one conformance test.
 *
 * @param master - The client to clone; the suite inspects its clones.
 * @param capacity - How many users the pool must serve at once before a
 *   non-blocking reserve is exhausted (slots of a FIFO pool, `maxClients` of a
 *   mapped pool).
 * @param options - The pool's default reserve options, to give it when made.
 *
 * @example
 * ```ts doctest:skip registers vitest tests, so it runs only inside a vitest test file
 * import { describePoolConformance, type MakeConformanceSubject } from '@clonepool/core/conformance';
 * import { MyPool } from '../src/my-pool.js';
 *
 * const make: MakeConformanceSubject = async (master, capacity) => {
 *   const pool = new MyPool(master, capacity);
 *   await pool.ready; // a pool that fills asynchronously may return a promise
 *   return { pool };
 * };
 * describePoolConformance('MyPool', make);
 * ```
 */
export type MakeConformanceSubject = (
  master: TestClient,
  capacity: number,
  options: ConformanceOptions,
) => ConformanceSubject | Promise<ConformanceSubject>;

interface Held {
  readonly client: TestClient;
  readonly lease: Lease<TestClient>;
  /** Releases the lease and waits until the user's scope has ended. */
  finish(): Promise<void>;
}

/** Lets queued timers, I/O callbacks and promise jobs run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Longer than setTimeout can take (2^31 − 1 ms, about 24.9 days). */
const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * What a strategy tells the suite beyond how to make its pool.
 *
 * @example
 * ```ts doctest:skip registers vitest tests, so it runs only inside a vitest test file
 * import { describePoolConformance } from '@clonepool/core/conformance';
 * import { channelNames, MyPool } from '../src/index.js';
 *
 * describePoolConformance('MyPool', (master, capacity, { reserve }) => ({ pool: new MyPool(master, capacity, { reserve }) }), {
 *   channelNames,
 * });
 * ```
 */
export interface ConformanceSuiteOptions {
  /**
   * The pool's diagnostics channel names (its package's `channelNames`, made
   * with `poolChannelNames`), when it publishes on them: the suite then also
   * checks that every reserve publishes `reserve` or `reserve-error`, every
   * lease end `release`, and clones and discards their events, with their
   * timings.
   * @default undefined (the channels are not checked)
   */
  readonly channelNames?: PoolChannelNames | undefined;
}

/** One message of a pool channel, with the table key of its channel. */
interface Published {
  readonly event: keyof PoolChannelNames;
  readonly message: { readonly pool: unknown } & Record<string, unknown>;
}

/** Subscribes to every shared channel of `names` until `stop()`; `of(event, pool)` lists one pool's messages. */
function recordChannels(names: PoolChannelNames) {
  const published: Published[] = [];
  const listeners = (Object.keys(names) as (keyof PoolChannelNames)[]).map((event) => {
    const listener = (message: unknown) => published.push({ event, message: message as Published['message'] });
    subscribe(names[event], listener);
    return [names[event], listener] as const;
  });
  return {
    of: (event: keyof PoolChannelNames, pool: unknown) =>
      published.filter((p) => p.event === event && p.message.pool === pool).map((p) => p.message),
    stop: () => {
      for (const [name, listener] of listeners) unsubscribe(name, listener);
    },
  };
}

/**
 * Registers the `Pool` contract as a vitest suite for one pool strategy: the
 * same tests every clonepool strategy passes. Each test makes a fresh pool of
 * {@link TestClient} clones through `make` and closes it after.
 *
 * @param name - The suite's name, usually the strategy's.
 * @param make - Builds a fresh pool for each test.
 * @param options - The pool's diagnostics channels, to check them too.
 *
 * @example
 * ```ts doctest:skip registers vitest tests, so it runs only inside a vitest test file
 * import { describePoolConformance } from '@clonepool/core/conformance';
 * import { MyPool } from '../src/my-pool.js';
 *
 * describePoolConformance('MyPool', (master, capacity, { reserve }) => ({ pool: new MyPool(master, capacity, { reserve }) }));
 * ```
 */
export function describePoolConformance(
  name: string,
  make: MakeConformanceSubject,
  options: ConformanceSuiteOptions = {},
): void {
  describe(`${name} conforms to the Pool contract`, () => {
    async function setup(capacity: number, clients: TestClientOptions = {}, options: ConformanceOptions = {}) {
      const master = new TestClient(clients);
      const subject = await make(master, capacity, options);
      const { pool } = subject;
      const asUser = subject.asUser ?? ((fn) => fn());

      /** Starts a user that reserves a client and keeps it until `finish()`. */
      async function hold(options?: ReserveOptions): Promise<Held> {
        let done!: () => void;
        const gate = new Promise<void>((resolve) => {
          done = resolve;
        });
        let reserved!: (held: { client: TestClient; lease: Lease<TestClient> }) => void;
        let failed!: (error: unknown) => void;
        const ready = new Promise<{ client: TestClient; lease: Lease<TestClient> }>((resolve, reject) => {
          reserved = resolve;
          failed = reject;
        });
        const scope = asUser(async () => {
          let lease: Lease<TestClient>;
          try {
            lease = await pool.reserve(options);
          } catch (error) {
            failed(error);
            return;
          }
          reserved({ client: lease.client, lease });
          await gate;
          lease.release();
        });
        const { client, lease } = await ready;
        return {
          client,
          lease,
          finish: async () => {
            done();
            await scope;
            await tick();
          },
        };
      }

      /** Starts a user that waits for a client with these options, and releases it when handed one. */
      function waitFor(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TestClient> {
        const waiting = asUser(async () => {
          const lease = await pool.reserve({ block: true, ...options });
          const client = lease.client;
          lease.release();
          return client;
        });
        // Tests await the outcome later; mark it handled now so an early rejection is not reported as unhandled.
        waiting.catch(() => {});
        return waiting;
      }

      return { master, pool, asUser, hold, waitFor };
    }

    it('lends each concurrent user its own clone of the master', async () => {
      const { master, pool, hold } = await setup(3);
      const held = [await hold(), await hold(), await hold()];
      const clients = held.map((h) => h.client);
      expect(new Set(clients).size).toBe(3);
      for (const client of clients) {
        expect(client).not.toBe(master);
        expect(master.clones).toContain(client);
      }
      expect(pool.stats().reserved).toBe(3);
      for (const h of held) await h.finish();
      expect(pool.stats().reserved).toBe(0);
      await pool.close();
    });

    it('use resolves to the function result and gives the client back', async () => {
      const { pool, asUser } = await setup(1);
      const id = await asUser(() => pool.use((client) => client.ping()));
      expect(id).toBeGreaterThan(0);
      expect(pool.stats().reserved).toBe(0);
      await pool.close();
    });

    it('use gives the client back when the function throws', async () => {
      const { pool, asUser, hold } = await setup(1);
      const boom = new Error('boom');
      await expect(
        asUser(() =>
          pool.use(() => {
            throw boom;
          }),
        ),
      ).rejects.toBe(boom);
      expect(pool.stats().reserved).toBe(0);
      const held = await hold();
      await held.finish();
      await pool.close();
    });

    it('release is idempotent and never returns a client twice', async () => {
      const { pool, asUser, hold } = await setup(1);
      await asUser(async () => {
        const lease = await pool.reserve();
        lease.release();
        lease.release();
        lease.discard();
        expect(lease.released).toBe(true);
      });
      await tick();
      const first = await hold();
      await expect(asUser(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
      await first.finish();
      await pool.close();
    });

    it('refuses to hand out the client of a released lease', async () => {
      const { pool, asUser } = await setup(1);
      await asUser(async () => {
        const lease = await pool.reserve();
        lease.release();
        expect(() => lease.client).toThrow(expect.objectContaining({ code: 'ERR_LEASE_RELEASED' }));
      });
      await pool.close();
    });

    it('gives the client back at the end of an await using block', async () => {
      const { pool, asUser } = await setup(1);
      await asUser(async () => {
        {
          await using lease = await pool.reserve();
          expect(lease.released).toBe(false);
          expect(pool.stats().reserved).toBe(1);
        }
        expect(pool.stats().reserved).toBe(0);
      });
      await pool.close();
    });

    it('rejects a non-blocking reserve at once with ERR_POOL_EXHAUSTED when every client is out', async () => {
      const { pool, asUser, hold } = await setup(2);
      const held = [await hold(), await hold()];
      await expect(asUser(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
      expect(pool.stats().waiting).toBe(0);
      for (const h of held) await h.finish();
      await pool.close();
    });

    it('lets a blocking reserve wait until a user finishes', async () => {
      const { pool, hold, waitFor } = await setup(1);
      const first = await hold();
      const waiting = waitFor();
      await tick();
      expect(pool.stats().waiting).toBe(1);
      await first.finish();
      const client = await waiting;
      expect(client).toBeInstanceOf(TestClient);
      expect(pool.stats().waiting).toBe(0);
      await pool.close();
    });

    it('hands a released client to one waiter only, so the next reserve finds every client out', async () => {
      const { pool, asUser, hold } = await setup(1);
      const first = await hold();
      const waiting = hold({ block: true });
      await tick();
      expect(pool.stats().waiting).toBe(1);
      await first.finish();
      const second = await waiting;
      expect(second.client.isClosed).toBe(false);
      await expect(asUser(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
      expect(pool.stats().reserved).toBe(1);
      await second.finish();
      const third = await hold();
      await third.finish();
      await pool.close();
    });

    it('serves waiters in arrival order', async () => {
      const { pool, hold, asUser } = await setup(1);
      const first = await hold();
      const order: number[] = [];
      const waiters = [1, 2, 3, 4].map((n) =>
        asUser(async () => {
          const lease = await pool.reserve({ block: true });
          order.push(n);
          await tick();
          lease.release();
        }),
      );
      await tick();
      expect(pool.stats().waiting).toBe(4);
      await first.finish();
      await Promise.all(waiters);
      expect(order).toEqual([1, 2, 3, 4]);
      await pool.close();
    });

    it('rejects a waiter after timeoutMs with ERR_RESERVE_TIMEOUT and hands the client to the next waiter', async () => {
      const { pool, hold, waitFor } = await setup(1);
      const first = await hold();
      const timedOut = waitFor({ timeoutMs: 20 });
      const patient = waitFor();
      await expect(timedOut).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
      expect(pool.stats().waiting).toBe(1);
      await first.finish();
      await expect(patient).resolves.toBeInstanceOf(TestClient);
      expect(pool.stats().waiting).toBe(0);
      await pool.close();
    });

    it('keeps a waiter waiting when its timeoutMs is longer than setTimeout can take (2^31 − 1 ms)', async () => {
      const warnings = await warningsDuring(async () => {
        const { pool, hold, waitFor } = await setup(1);
        const first = await hold();
        const patient = waitFor({ timeoutMs: THIRTY_DAYS_MS });
        // setTimeout fires a longer delay after 1 ms: a pool that passes timeoutMs on as it is gives up here.
        await sleep(30);
        expect(pool.stats().waiting).toBe(1);
        await first.finish();
        await expect(patient).resolves.toBeInstanceOf(TestClient);
        await pool.close();
      });
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    });

    it('applies the default reserve options it was made with to every reserve and use', async () => {
      const { pool, asUser, hold } = await setup(1, {}, { reserve: { block: true, timeoutMs: 20 } });
      const first = await hold();
      // Blocking by default, and bounded by the default timeout.
      await expect(asUser(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
      const using = asUser(() => pool.use((client) => client.ping()));
      await tick();
      expect(pool.stats().waiting).toBe(1);
      await first.finish();
      await expect(using).resolves.toBeGreaterThan(0);
      await pool.close();
    });

    it('lets each reserve override the default reserve options field by field', async () => {
      const { pool, asUser, hold, waitFor } = await setup(1, {}, { reserve: { block: true, timeoutMs: 20 } });
      const first = await hold();
      await expect(asUser(() => pool.reserve({ block: false }))).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
      const controller = new AbortController();
      const aborted = asUser(() => pool.reserve({ signal: controller.signal }));
      aborted.catch(() => {});
      await tick();
      controller.abort('gone');
      await expect(aborted).rejects.toMatchObject({ code: 'ERR_RESERVE_ABORTED', cause: 'gone' });
      // Infinity waits past the default timeout, without limit.
      const patient = waitFor({ timeoutMs: Number.POSITIVE_INFINITY });
      await sleep(50);
      expect(pool.stats().waiting).toBe(1);
      await first.finish();
      await expect(patient).resolves.toBeInstanceOf(TestClient);
      await pool.close();
    });

    it('refuses a signal, or an unknown name, in the default reserve options', async () => {
      const made = (reserve: object) =>
        (async () => make(new TestClient(), 1, { reserve: reserve as ReserveDefaults }))().then(({ pool }) =>
          pool.close(),
        );
      await expect(made({ block: true, signal: new AbortController().signal })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/^Option reserve\.signal /),
      });
      await expect(made({ block: true, timeout: 10 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/^Option timeout /),
      });
    });

    it('rejects a waiter whose signal aborts with ERR_RESERVE_ABORTED carrying the reason', async () => {
      const { pool, hold, waitFor } = await setup(1);
      const first = await hold();
      const controller = new AbortController();
      const aborted = waitFor({ signal: controller.signal });
      const patient = waitFor();
      await tick();
      const reason = new Error('the request went away');
      controller.abort(reason);
      await expect(aborted).rejects.toMatchObject({ code: 'ERR_RESERVE_ABORTED', cause: reason });
      await first.finish();
      await expect(patient).resolves.toBeInstanceOf(TestClient);
      await pool.close();
    });

    it('rejects at once when the signal is already aborted', async () => {
      const { pool, hold, waitFor } = await setup(1);
      const first = await hold();
      await expect(waitFor({ signal: AbortSignal.abort('too late') })).rejects.toMatchObject({
        code: 'ERR_RESERVE_ABORTED',
        cause: 'too late',
      });
      expect(pool.stats().waiting).toBe(0);
      await first.finish();
      await pool.close();
    });

    it('rejects invalid reserve options with ERR_INVALID_ARG_VALUE', async () => {
      const { pool, asUser } = await setup(1);
      await expect(asUser(() => pool.reserve({ block: true, timeoutMs: -5 }))).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
      });
      await expect(asUser(() => pool.reserve({ timeoutMs: 10 }))).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
      });
      expect(pool.stats().reserved).toBe(0);
      await pool.close();
    });

    it('refuses unknown reserve option names, naming the unknown one and the known ones', async () => {
      const { pool, asUser } = await setup(1);
      const unknown = (name: string) =>
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_VALUE',
          message: expect.stringMatching(new RegExp(`^Option ${name} .*block, timeoutMs, signal`)),
        });
      // Misspellings that would otherwise turn a wait or its limit off silently.
      await expect(asUser(() => pool.reserve({ timeout: 10 } as ReserveOptions))).rejects.toEqual(unknown('timeout'));
      await expect(asUser(() => pool.reserve({ blocking: true } as ReserveOptions))).rejects.toEqual(
        unknown('blocking'),
      );
      await expect(asUser(() => pool.reserve({ block: true, timeoutMS: 10 } as ReserveOptions))).rejects.toEqual(
        unknown('timeoutMS'),
      );
      let ran = false;
      await expect(
        asUser(() =>
          pool.use(
            () => {
              ran = true;
            },
            { timeout: 10 } as ReserveOptions,
          ),
        ),
      ).rejects.toEqual(unknown('timeout'));
      expect(ran).toBe(false);
      expect(pool.stats().reserved).toBe(0);
      // The pool is untouched: its client is still there for a valid reserve.
      await expect(asUser(() => pool.use(() => 'ok', { block: true }))).resolves.toBe('ok');
      await pool.close();
    });

    it('closes a discarded client and lends a different one next', async () => {
      const { pool, asUser, hold } = await setup(1);
      const broken = await asUser(async () => {
        const lease = await pool.reserve();
        const client = lease.client;
        lease.discard(new Error('connection reset'));
        return client;
      });
      await tick();
      expect(broken.closeCount).toBe(1);
      const next = await hold();
      expect(next.client).not.toBe(broken);
      expect(next.client.isClosed).toBe(false);
      await next.finish();
      await pool.close();
      expect(broken.closeCount).toBe(1);
    });

    it('settles a waiter when the clone made for it fails, and recovers after', async () => {
      const { master, pool, asUser, hold, waitFor } = await setup(1);
      const first = await hold();
      const waiting = waitFor({ timeoutMs: 5_000 });
      await tick();
      master.failNextClone(new Error('server unreachable'));
      first.lease.discard();
      await first.finish();
      await expect(waiting).rejects.toThrow('server unreachable');
      // The recovered client works while its user holds it (a mapped pool may close it once the user is done).
      const id = await asUser(() => pool.use((client) => client.ping(), { block: true, timeoutMs: 5_000 }));
      expect(id).toBeGreaterThan(0);
      await pool.close();
    });

    it('rejects every waiter with ERR_POOL_CLOSED on close, and later reserves too', async () => {
      const { master, pool, hold, waitFor, asUser } = await setup(1);
      const first = await hold();
      const waiting = [waitFor(), waitFor({ timeoutMs: 10_000 })];
      await tick();
      const closing = pool.close();
      expect(pool.isClosed).toBe(true);
      for (const w of waiting) await expect(w).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
      await first.finish();
      await closing;
      // The client released after close() was closed, once.
      expect(master.clones.map((clone) => clone.closeCount)).toEqual(master.clones.map(() => 1));
      await expect(asUser(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
      await expect(asUser(() => pool.reserve({ block: true }))).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    });

    it('resolves close only once a clone still being made has landed and been closed', async () => {
      const { master, pool, asUser } = await setup(1, { cloneDelayMs: 20 });
      // A reserve that needs a clone (a mapped pool's first, or one during a FIFO pool's fill).
      const reserving = asUser(() => pool.reserve({ block: true }));
      reserving.catch(() => {});
      await tick();
      await pool.close();
      await expect(reserving).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
      const closedByThen = master.clones.map((clone) => clone.closeCount);
      expect(closedByThen.length).toBeGreaterThan(0);
      expect(closedByThen.every((count) => count === 1)).toBe(true);
      // Nothing of the pool is left to land or to close later.
      await sleep(40);
      expect(master.clones.map((clone) => clone.closeCount)).toEqual(closedByThen);
    });

    it('closes every clone exactly once, leaves the master open, and close is idempotent', async () => {
      const { master, pool, hold } = await setup(3);
      const held = [await hold(), await hold()];
      for (const h of held) await h.finish();
      const discarding = await hold();
      discarding.lease.discard();
      await discarding.finish();
      await Promise.all([pool.close(), pool.close()]);
      await pool.close();
      await pool[Symbol.asyncDispose]();
      expect(master.clones.length).toBeGreaterThan(0);
      for (const clone of master.clones) expect(clone.closeCount).toBe(1);
      expect(master.closeCount).toBe(0);
    });

    it('never lends one client to two users at once, nor loses one, under random load', async () => {
      const seed = Number(process.env.CLONEPOOL_SEED ?? Date.now() % 2 ** 31);
      const next = seededRandom(seed);
      const { master, pool, asUser } = await setup(4);
      const inUse = new Set<TestClient>();
      let overlaps = 0;
      let served = 0;
      const users = Array.from({ length: 60 }, async () => {
        const ticks = Math.floor(next() * 4);
        const timeoutMs = next() < 0.2 ? 1 + Math.floor(next() * 5) : undefined;
        const abortAfter = next() < 0.1 ? Math.floor(next() * 3) : undefined;
        const controller = new AbortController();
        if (abortAfter !== undefined) setTimeout(() => controller.abort(), abortAfter).unref();
        try {
          await asUser(async () => {
            const lease = await pool.reserve({
              block: true,
              ...(timeoutMs === undefined ? {} : { timeoutMs }),
              signal: controller.signal,
            });
            const client = lease.client;
            if (inUse.has(client)) overlaps++;
            inUse.add(client);
            for (let i = 0; i < ticks; i++) await tick();
            inUse.delete(client);
            served++;
            if (next() < 0.1) lease.discard();
            else lease.release();
          });
        } catch (error) {
          expect(['ERR_RESERVE_TIMEOUT', 'ERR_RESERVE_ABORTED']).toContain((error as { code?: string }).code);
        }
      });
      await Promise.all(users);
      const message = `seed ${seed} (replay with CLONEPOOL_SEED=${seed})`;
      expect(overlaps, message).toBe(0);
      expect(served, message).toBeGreaterThan(0);
      expect(pool.stats().reserved, message).toBe(0);
      expect(pool.stats().waiting, message).toBe(0);
      // Every user finished, so the whole capacity is free again.
      await tick();
      const last = await Promise.all([1, 2, 3, 4].map(() => asUser(() => pool.reserve())));
      expect(new Set(last.map((lease) => lease.client)).size, message).toBe(4);
      for (const lease of last) lease.release();
      await pool.close();
      for (const clone of master.clones) expect(clone.closeCount, message).toBe(1);
    });

    const names = options.channelNames;
    if (names === undefined) return;
    describe('publishes on its diagnostics channels', () => {
      it('names the events clonepool:<package>:<event> in one frozen table', () => {
        expect(Object.isFrozen(names)).toBe(true);
        const [, packageName = ''] = names.reserve.split(':');
        expect(names).toMatchObject(poolChannelNames(packageName));
      });

      it('publishes reserve and release for each lease, with how long it waited and was held', async () => {
        const seen = recordChannels(names);
        try {
          const { pool, hold, waitFor } = await setup(1);
          const first = await hold();
          const waiting = waitFor();
          await sleep(20);
          await first.finish();
          const second = await waiting;
          const reserves = seen.of('reserve', pool);
          expect(reserves).toEqual([
            { pool, client: first.client, waitedMs: expect.any(Number) },
            { pool, client: second, waitedMs: expect.any(Number) },
          ]);
          expect(reserves[1]?.waitedMs).toBeGreaterThanOrEqual(15);
          const releases = seen.of('release', pool);
          expect(releases).toEqual([
            { pool, client: first.client, heldMs: expect.any(Number), discarded: false },
            { pool, client: second, heldMs: expect.any(Number), discarded: false },
          ]);
          expect(releases[0]?.heldMs).toBeGreaterThanOrEqual(15);
          expect(seen.of('reserveError', pool)).toEqual([]);
          await pool.close();
        } finally {
          seen.stop();
        }
      });

      it('publishes reserve-error for each reserve that rejects, so every reserve publishes exactly one event', async () => {
        const seen = recordChannels(names);
        try {
          const { pool, asUser, hold, waitFor } = await setup(1);
          const first = await hold();
          await expect(asUser(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_POOL_EXHAUSTED' });
          await expect(waitFor({ timeoutMs: 10 })).rejects.toMatchObject({ code: 'ERR_RESERVE_TIMEOUT' });
          await expect(asUser(() => pool.reserve({ timeout: 10 } as ReserveOptions))).rejects.toMatchObject({
            code: 'ERR_INVALID_ARG_VALUE',
          });
          await first.finish();
          await pool.close();
          await expect(asUser(() => pool.reserve())).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
          expect(seen.of('reserve', pool)).toHaveLength(1);
          const errors = seen.of('reserveError', pool);
          expect(errors.map(({ error }) => (error as { code?: string }).code)).toEqual([
            'ERR_POOL_EXHAUSTED',
            'ERR_RESERVE_TIMEOUT',
            'ERR_INVALID_ARG_VALUE',
            'ERR_POOL_CLOSED',
          ]);
          for (const error of errors)
            expect(error).toEqual({ pool, error: expect.any(Error), waitedMs: expect.any(Number) });
          expect(errors[1]?.waitedMs).toBeGreaterThanOrEqual(8);
        } finally {
          seen.stop();
        }
      });

      it('publishes each clone with its duration, a failed clone, and a discarded client', async () => {
        const seen = recordChannels(names);
        try {
          const { master, pool, asUser, hold } = await setup(1, { cloneDelayMs: 10 });
          const held = await hold();
          const clones = seen.of('clone', pool);
          expect(clones).toEqual([{ pool, client: held.client, durationMs: expect.any(Number) }]);
          expect(clones[0]?.durationMs).toBeGreaterThanOrEqual(8);
          // The clone that replaces the discarded client fails, and so does the reserve that needs it.
          const failure = new Error('ECONNREFUSED');
          master.failNextClone(failure);
          const reason = new Error('protocol desync');
          held.lease.discard(reason);
          await held.finish();
          expect(seen.of('discard', pool)).toEqual([{ pool, client: held.client, reason }]);
          expect(seen.of('release', pool)).toEqual([
            { pool, client: held.client, heldMs: expect.any(Number), discarded: true },
          ]);
          await expect(asUser(() => pool.reserve())).rejects.toBe(failure);
          expect(seen.of('cloneError', pool)).toEqual([{ pool, error: failure, durationMs: expect.any(Number) }]);
          expect(seen.of('reserveError', pool)).toEqual([{ pool, error: failure, waitedMs: expect.any(Number) }]);
          await pool.close();
        } finally {
          seen.stop();
        }
      });
    });
  });
}
