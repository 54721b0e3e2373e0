import {
  type Clonable,
  closeClient,
  Lease,
  type LeaseOwner,
  type Pool,
  PoolClosedError,
  PoolExhaustedError,
  type PoolStats,
  parseReserveOptions,
  type ReserveOptions,
  useClient,
  WaitQueue,
} from '../src/index.js';

/**
 * The smallest pool that meets the contract: clones lazily up to `capacity`,
 * lends idle clients first. It exists to prove the conformance kit against a
 * pool that lives outside the strategy packages.
 */
export class MinimalPool<C> implements Pool<C>, LeaseOwner<C> {
  readonly #master: Clonable<C>;
  readonly #capacity: number;
  readonly #idle: C[] = [];
  readonly #all = new Set<C>();
  readonly #waiters = new WaitQueue<Lease<C>>();
  #reserved = 0;
  #cloning = 0;
  #closed = false;
  #drained: (() => void) | undefined;

  constructor(master: Clonable<C>, capacity: number) {
    this.#master = master;
    this.#capacity = capacity;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  async reserve(options?: ReserveOptions): Promise<Lease<C>> {
    const parsed = parseReserveOptions(options);
    if (this.#closed) throw new PoolClosedError();
    const idle = this.#idle.shift();
    if (idle !== undefined) return this.#lend(idle);
    if (this.#all.size < this.#capacity) return this.#lend(await this.#grow());
    if (!parsed.block) throw new PoolExhaustedError(this.#capacity);
    return this.#waiters.wait(parsed);
  }

  use<T>(fn: (client: C) => T | PromiseLike<T>, options?: ReserveOptions): Promise<T> {
    return useClient(this, fn, options);
  }

  settle(client: C, discarded: boolean): void {
    this.#reserved--;
    if (discarded || this.#closed) {
      this.#all.delete(client);
      void closeClient(client);
      if (!this.#closed && this.#waiters.size > 0) {
        this.#grow().then(
          (fresh) => this.#handOver(fresh),
          (error: unknown) => this.#waiters.rejectNext(error),
        );
      }
    } else {
      this.#handOver(client);
    }
    this.#checkDrained();
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#waiters.rejectAll(new PoolClosedError());
    }
    if (this.#reserved > 0 || this.#cloning > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    const idle = this.#idle.splice(0);
    for (const client of idle) this.#all.delete(client);
    await Promise.all(idle.map(closeClient));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  stats(): PoolStats {
    return { size: this.#all.size, reserved: this.#reserved, waiting: this.#waiters.size };
  }

  async #grow(): Promise<C> {
    this.#cloning++;
    try {
      const client = await this.#master.clone();
      if (this.#closed) {
        // Closed while cloning: nobody may use this clone, and close() waits until it is closed.
        await closeClient(client);
        throw new PoolClosedError();
      }
      this.#all.add(client);
      return client;
    } finally {
      this.#cloning--;
      this.#checkDrained();
    }
  }

  #checkDrained(): void {
    if (this.#reserved === 0 && this.#cloning === 0) this.#drained?.();
  }

  #handOver(client: C): void {
    if (this.#closed) {
      this.#all.delete(client);
      void closeClient(client);
      return;
    }
    this.#reserved++;
    if (!this.#waiters.serve(new Lease(client, this))) {
      this.#reserved--;
      this.#idle.push(client);
    }
  }

  #lend(client: C): Lease<C> {
    this.#reserved++;
    return new Lease(client, this);
  }
}
