import { LeaseReleasedError } from './errors.js';

/**
 * The pool side of a lease: what the pool does when the lease ends. Pool
 * strategies implement it; users of a pool never call it.
 *
 * @typeParam C - The type of the pooled clients.
 *
 * @example
 * ```ts
 * import { Lease, type LeaseOwner } from '@clonepool/core';
 *
 * // A pool implements settle(); each lease calls it exactly once.
 * const idle: string[] = [];
 * const owner: LeaseOwner<string> = {
 *   settle: (client, discarded) => {
 *     if (!discarded) idle.push(client);
 *   },
 * };
 * const lease = new Lease('client-1', owner);
 * lease.release();
 * lease.release();
 * console.log(idle);
 * // → [ 'client-1' ]
 * ```
 */
export interface LeaseOwner<C> {
  /**
   * Takes a lent client back, exactly once per lease.
   *
   * @param client - The client the lease held.
   * @param discarded - True when the user called `discard()`: the client is
   *   broken and must be closed, not lent again.
   * @param reason - What `discard()` was given, for diagnostics.
   * @param lease - The lease that ended.
   */
  settle(client: C, discarded: boolean, reason: unknown, lease: Lease<C>): void;
}

/**
 * One client lent by a pool until the lease is released. Release it in a
 * `finally` (or let `pool.use(fn)` do it) so the client comes back also when
 * the code using it throws. It is disposable too: on Node 24+, or in
 * TypeScript compiled to a target below `esnext`, `await using lease = await
 * pool.reserve()` releases it when the block ends (Node 20 and 22 cannot parse
 * `using` themselves).
 *
 * Pools make leases; users take `client`, then `release()` (or `discard()` a
 * client that went bad). Both are idempotent, and after either, reading
 * `client` throws {@link LeaseReleasedError}.
 *
 * @typeParam C - The type of the pooled client.
 *
 * @example
 * ```ts
 * import { Lease, type LeaseOwner } from '@clonepool/core';
 *
 * const owner: LeaseOwner<string> = {
 *   settle: (client, discarded) => console.log(`back: ${client}, discarded: ${discarded}`),
 * };
 * const lease = new Lease('client-1', owner);
 * try {
 *   console.log(lease.client);
 * } finally {
 *   lease.release();
 * }
 * // → client-1
 * // → back: client-1, discarded: false
 * ```
 */
export class Lease<C> {
  #client: C;
  #owner: LeaseOwner<C> | undefined;

  /**
   * For pool implementations: lend `client` on behalf of `owner`.
   *
   * @param client - The client lent.
   * @param owner - Told once when the lease ends.
   */
  constructor(client: C, owner: LeaseOwner<C>) {
    this.#client = client;
    this.#owner = owner;
  }

  /** The lent client. Throws {@link LeaseReleasedError} once the lease is released. */
  get client(): C {
    if (this.#owner === undefined) throw new LeaseReleasedError();
    return this.#client;
  }

  /** Whether `release()` or `discard()` has been called. */
  get released(): boolean {
    return this.#owner === undefined;
  }

  /** Gives the client back to the pool. Calling it again does nothing. */
  release(): void {
    this.#end(false, undefined);
  }

  /**
   * Gives the client back as broken: the pool closes it and, where it can,
   * puts a fresh clone in its place. Calling it after release does nothing.
   *
   * @param reason - Why the client is broken, for diagnostics.
   */
  discard(reason?: unknown): void {
    this.#end(true, reason);
  }

  /** Releases the lease at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.#end(false, undefined);
  }

  /** Releases the lease at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#end(false, undefined);
  }

  #end(discarded: boolean, reason: unknown): void {
    const owner = this.#owner;
    if (owner === undefined) return;
    this.#owner = undefined;
    owner.settle(this.#client, discarded, reason, this);
  }
}
