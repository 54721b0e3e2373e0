import type { TestClient } from '@clonepool/core/testing';

/** Lets queued timers, I/O callbacks and promise jobs run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The seed of a random test: CLONEPOOL_SEED when set, else the clock. */
export function seed(): number {
  return Number(process.env.CLONEPOOL_SEED ?? Date.now() % 2 ** 31);
}

/** Every clone of `master` was closed exactly once. */
export function closeCounts(master: TestClient): number[] {
  return master.clones.map((clone) => clone.closeCount);
}
