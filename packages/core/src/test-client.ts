import type { Clonable } from './clonable.js';
import { LongTimeout } from './long-timeout.js';

/** How a {@link TestClient} family behaves; set on the master, shared by its clones. *
 * @example
 * ```ts
 * import { TestClient } from '@clonepool/core/testing';
 *
 * const master = new TestClient({ cloneDelayMs: 5 });
 * const started = performance.now();
 * await master.clone();
 * console.log(performance.now() - started >= 4);
 * // → true
 * ```
 */
export interface TestClientOptions {
  /** Make `clone()` resolve after this many milliseconds (any length) instead of at once. @default 0 */
  readonly cloneDelayMs?: number;
  /** Make `close()` resolve after this many milliseconds (any length). @default 0 */
  readonly closeDelayMs?: number;
}

interface Family {
  readonly options: TestClientOptions;
  readonly clones: TestClient[];
  failures: Error[];
  nextId: number;
}

/**
 * A tiny clonable client for testing pools: it counts its clones and its
 * closes, and can be told to fail its next clones. The master keeps the list
 * of every clone made from it or from its clones.
 *
 * @example
 * ```ts
 * import { TestClient } from '@clonepool/core/testing';
 *
 * const master = new TestClient();
 * const clone = await master.clone();
 * await clone.close();
 * console.log(master.clones.length, clone.closeCount, clone.isClosed);
 * // → 1 1 true
 * ```
 */
export class TestClient implements Clonable<TestClient> {
  /** 0 for the master, then 1, 2, … in the order clones were made. */
  readonly id: number;
  /** How many times `close()` was called. A pool must make this exactly 1 for each clone it owned. */
  closeCount = 0;
  readonly #family: Family;

  /**
   * Makes a master client.
   *
   * @param options - How the family's clones and closes behave.
   */
  constructor(options: TestClientOptions = {}) {
    this.#family = cloning ?? { options, clones: [], failures: [], nextId: 1 };
    this.id = cloning === undefined ? 0 : this.#family.nextId++;
  }

  /** Every clone made in this family, oldest first. */
  get clones(): readonly TestClient[] {
    return this.#family.clones;
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closeCount > 0;
  }

  /**
   * Makes the next clone of this family reject with `error`, once per call.
   *
   * @param error - What the failing clone rejects with.
   */
  failNextClone(error: Error = new Error('clone failed (as the test asked)')): void {
    this.#family.failures.push(error);
  }

  /** Makes a new client of this family, after `cloneDelayMs`. */
  async clone(): Promise<TestClient> {
    const family = this.#family;
    if (family.options.cloneDelayMs) await sleep(family.options.cloneDelayMs);
    const failure = family.failures.shift();
    if (failure !== undefined) throw failure;
    cloning = family;
    try {
      const client = new TestClient(family.options);
      family.clones.push(client);
      return client;
    } finally {
      cloning = undefined;
    }
  }

  /**
   * Stands for a real operation: resolves to the client's id, or rejects once
   * the client is closed.
   */
  async ping(): Promise<number> {
    if (this.isClosed) throw new Error(`test client ${this.id} is closed`);
    return this.id;
  }

  /** Counts the close, after `closeDelayMs`. */
  async close(): Promise<void> {
    this.closeCount++;
    const delay = this.#family.options.closeDelayMs;
    if (delay) await sleep(delay);
  }
}

// Set only while clone() runs its constructor, so clones join their master's family.
let cloning: Family | undefined;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => new LongTimeout(resolve, ms));
}
