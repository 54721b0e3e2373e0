import { describe, expect, it } from 'vitest';
import { MappedPool } from '../src/index.js';
import { sleep } from './helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** The heap in use after full collections, in MB. */
async function heapMB(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(1);
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** A client that costs nothing, so the heap measures what the pool itself keeps. */
const master = { clone: () => ({ close() {} }) };

/**
 * Keys the test can see collected: symbols are primitive keys, as strings
 * and numbers are, yet a WeakRef can watch them. One in `sampleEvery` is watched.
 */
class WatchedKeys {
  readonly #refs: WeakRef<symbol>[] = [];
  readonly #sampleEvery: number;
  #made = 0;

  constructor(sampleEvery: number) {
    this.#sampleEvery = sampleEvery;
  }

  next(): symbol {
    const key = Symbol(`key ${this.#made}`);
    if (this.#made++ % this.#sampleEvery === 0) this.#refs.push(new WeakRef(key));
    return key;
  }

  /** How many watched keys are still reachable after collections. */
  async alive(): Promise<number> {
    await heapMB();
    return this.#refs.filter((ref) => ref.deref() !== undefined).length;
  }
}

// The heap numbers are real: 100k keys that each leaked a context grew the heap
// by 14 MB, and 200k waits that each left a reference on a shared signal by
// 13 MB, while a pool that keeps nothing stays within noise (< 1 MB). The bound
// sits far from both; the watched keys check the cause, not only the size.
const KEYS = 100_000;
const HEAP_BOUND_MB = 6;
const WAITS = 200_000;
const WAITS_PER_BATCH = 10_000;

// Each test makes a few hundred thousand reserves: seconds on a loaded machine.
describe.runIf(gc !== undefined)('memory', { timeout: 30_000 }, () => {
  it('forgets a key once its client is relinquished', async () => {
    let key: symbol | undefined;
    const keys = new WatchedKeys(1_000);
    const pool = new MappedPool(master, { key: () => key });
    await pool.use(() => {});
    pool.relinquish();
    const before = await heapMB();
    for (let i = 0; i < KEYS; i++) {
      key = keys.next();
      await pool.use(() => {});
      expect(pool.relinquish()).toBe(true);
    }
    key = undefined;
    const after = await heapMB();
    expect(await keys.alive()).toBe(0);
    expect(after - before, `heap ${before.toFixed(1)} → ${after.toFixed(1)} MB`).toBeLessThan(HEAP_BOUND_MB);
    expect(pool.stats()).toMatchObject({ contexts: 0, size: 0, relinquished: KEYS + 1 });
    await pool.close();
  });

  it('keeps no key whose reserve was refused with ERR_POOL_EXHAUSTED or timed out', async () => {
    let key: symbol | string = 'holder';
    const keys = new WatchedKeys(1_000);
    const pool = new MappedPool(master, { key: () => key, maxClients: 1 });
    await pool.use(() => {});
    const before = await heapMB();
    const outcomes = new Map<string, number>();
    const count = (outcome: string): void => {
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    };
    for (let i = 0; i < KEYS; i++) {
      key = keys.next();
      await pool.reserve().then(
        () => count('lent'),
        (error: { code: string }) => count(error.code),
      );
    }
    for (let i = 0; i < 100; i++) {
      key = keys.next();
      await pool.reserve({ block: true, timeoutMs: 0 }).then(
        () => count('lent'),
        (error: { code: string }) => count(error.code),
      );
    }
    expect(Object.fromEntries(outcomes)).toEqual({ ERR_POOL_EXHAUSTED: KEYS, ERR_RESERVE_TIMEOUT: 100 });
    key = 'holder';
    const after = await heapMB();
    expect(await keys.alive()).toBe(0);
    expect(after - before, `heap ${before.toFixed(1)} → ${after.toFixed(1)} MB`).toBeLessThan(HEAP_BOUND_MB);
    expect(pool.stats()).toMatchObject({ contexts: 1, size: 1 });
    // The holder's key is still mapped: its client is the one lent again.
    expect(pool.relinquish()).toBe(true);
    await pool.close();
  });

  it('keeps no trace of waits that shared one long-lived signal', async () => {
    let key = 'busy';
    const pool = new MappedPool(master, { key: () => key, maxClients: 1 });
    // A server's shutdown signal, say, passed to every reserve for the process's life.
    const { signal } = new AbortController();
    const before = await heapMB();
    let lent = 0;
    for (let i = 0; i < WAITS; i += WAITS_PER_BATCH) {
      // 'busy' takes the only slot; a batch of reserves of key 'waiting' waits for it, sharing the signal.
      key = 'busy';
      await pool.use(() => {});
      key = 'waiting';
      const batch = Array.from({ length: WAITS_PER_BATCH }, () => pool.reserve({ block: true, signal }));
      expect(pool.stats().waiting).toBe(WAITS_PER_BATCH);
      key = 'busy';
      pool.relinquish();
      // The first waiter maps 'waiting'; the others leave the queue and share its client.
      for (const lease of await Promise.all(batch)) {
        lease.release();
        lent++;
      }
      key = 'waiting';
      pool.relinquish();
    }
    const after = await heapMB();
    expect(lent).toBe(WAITS);
    expect(after - before, `heap ${before.toFixed(1)} → ${after.toFixed(1)} MB`).toBeLessThan(HEAP_BOUND_MB);
    expect(pool.stats()).toMatchObject({ waiting: 0, size: 0, contexts: 0 });
    await pool.close();
  });
});
