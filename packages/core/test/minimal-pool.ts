import {
  type Clonable,
  closeClient,
  Lease,
  type LeaseOwner,
  type ParsedReserveOptions,
  type Pool,
  PoolClosedError,
  PoolExhaustedError,
  type PoolStats,
  parseReserveDefaults,
  parseReserveOptions,
  type ReserveDefaults,
  type ReserveOptions,
  useClient,
  type WaiterOptions,
  WaitQueue,
} from '../src/index.js';

const NEWEST_FIRST: WaiterOptions = { first: true };

/**
 * One deliberate bug, each a line away from the correct pool, so that a test
 * can prove the conformance kit fails a pool that has it.
 */
export type MinimalPoolDefect =
  /** Serves the newest waiter first (LIFO) instead of in arrival order. */
  | 'serves the newest waiter first'
  /** Hands a released client to a waiter and also puts it back idle, so the next reserve gets it too. */
  | 'lends a released client twice'
  /** Closes a client released after close() and also puts it back idle, where close() closes it again. */
  | 'closes a late client twice';

/**
 * The smallest pool that meets the contract: clones lazily up to `capacity`,
 * lends idle clients first. It exists to prove the conformance kit against a
 * pool that lives outside the strategy packages, and, given a `defect`, to
 * prove that the kit fails a pool that breaks the contract.
 */
export class MinimalPool<C> implements Pool<C>, LeaseOwner<C> {
  readonly #master: Clonable<C>;
  readonly #capacity: number;
  readonly #defect: MinimalPoolDefect | undefined;
  readonly #defaults: ParsedReserveOptions;
  readonly #idle: C[] = [];
  readonly #all = new Set<C>();
  readonly #waiters = new WaitQueue<Lease<C>>();
  #reserved = 0;
  #cloning = 0;
  #closed = false;
  #drained: (() => void) | undefined;

  constructor(
    master: Clonable<C>,
    capacity: number,
    options: { readonly defect?: MinimalPoolDefect; readonly reserve?: ReserveDefaults | undefined } = {},
  ) {
    this.#master = master;
    this.#capacity = capacity;
    this.#defect = options.defect;
    this.#defaults = parseReserveDefaults(options.reserve);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  async reserve(options?: ReserveOptions): Promise<Lease<C>> {
    const parsed = parseReserveOptions(options, this.#defaults);
    if (this.#closed) throw new PoolClosedError();
    const idle = this.#idle.shift();
    if (idle !== undefined) return this.#lend(idle);
    if (this.#all.size < this.#capacity) return this.#lend(await this.#grow());
    if (!parsed.block) throw new PoolExhaustedError(this.#capacity);
    return this.#waiters.wait(parsed, this.#defect === 'serves the newest waiter first' ? NEWEST_FIRST : undefined);
  }

  use<T>(fn: (client: C) => T | PromiseLike<T>, options?: ReserveOptions): Promise<T> {
    return useClient(this, fn, options);
  }

  settle(client: C, discarded: boolean): void {
    this.#reserved--;
    if (discarded || this.#closed) {
      this.#all.delete(client);
      void closeClient(client);
      if (this.#closed && this.#defect === 'closes a late client twice') this.#idle.push(client);
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
    } else if (this.#defect === 'lends a released client twice') {
      this.#idle.push(client);
    }
  }

  #lend(client: C): Lease<C> {
    this.#reserved++;
    return new Lease(client, this);
  }
}
