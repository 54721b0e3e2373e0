import type { TestClient } from '@clonepool/core/testing';

/** Lets queued timers, I/O callbacks and promise jobs run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn`, then returns the names of the warnings the process emitted meanwhile (they are emitted on a later tick). */
export async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const names: string[] = [];
  const onWarning = (warning: Error): void => {
    names.push(warning.name);
  };
  process.on('warning', onWarning);
  try {
    await fn();
    await tick();
  } finally {
    process.off('warning', onWarning);
  }
  return names;
}

/** A seeded PRNG (mulberry32), so a failing random run can be replayed from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a random test: CLONEPOOL_SEED when set, else the clock. */
export function seed(): number {
  return Number(process.env.CLONEPOOL_SEED ?? Date.now() % 2 ** 31);
}

/** Every clone of `master` was closed exactly once. */
export function closeCounts(master: TestClient): number[] {
  return master.clones.map((clone) => clone.closeCount);
}
