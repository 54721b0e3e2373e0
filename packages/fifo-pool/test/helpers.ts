import type { Clonable } from '@clonepool/core';

/** Lets queued timers, I/O callbacks and promise jobs run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves after `ms` milliseconds (real timers). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Longer than setTimeout can take (2^31 − 1 ms, about 24.9 days). */
export const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

/** Whether `promise` has settled, after letting pending jobs run. */
export async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await tick();
  return done;
}

interface Family {
  readonly all: SyncClient[];
  failures: number;
  nextId: number;
  readonly async: boolean;
}

/**
 * A client whose clone() returns synchronously (or, with `async`, a resolved
 * promise) and whose close() counts synchronously: the smallest client that
 * still lets a test see every clone, every close and every failure.
 */
export class SyncClient implements Clonable<SyncClient> {
  readonly id: number;
  closeCount = 0;
  readonly #family: Family;

  constructor(options: { async?: boolean } = {}, family?: Family) {
    this.#family = family ?? { all: [], failures: 0, nextId: 1, async: options.async ?? false };
    this.id = family === undefined ? 0 : this.#family.nextId++;
  }

  /** Every clone of the family, oldest first. */
  get clones(): readonly SyncClient[] {
    return this.#family.all;
  }

  /** Makes the next `count` clones fail. */
  failNextClones(count = 1): void {
    this.#family.failures += count;
  }

  clone(): SyncClient | Promise<SyncClient> {
    const family = this.#family;
    if (family.failures > 0) {
      family.failures--;
      const error = new Error('clone failed (as the test asked)');
      if (family.async) return Promise.reject(error);
      throw error;
    }
    const client = new SyncClient({}, family);
    family.all.push(client);
    return family.async ? Promise.resolve(client) : client;
  }

  close(): void {
    this.closeCount++;
  }
}
