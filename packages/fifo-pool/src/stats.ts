import type { PoolStats } from '@clonepool/core';

/**
 * A {@link ClientPool}'s counters at one moment. At every moment
 * `available + reserved === size`.
 */
export interface ClientPoolStats extends PoolStats {
  /** Clients the pool holds now, lent or idle. */
  readonly size: number;
  /** Slots the pool keeps filled: `size` plus clones being made or to be retried. */
  readonly slots: number;
  /** Idle clients, ready to lend. */
  readonly available: number;
  /** Leases out now, and idle clients taken out for a `validate` check that has not finished. */
  readonly reserved: number;
  /** Reserves waiting for a client now. */
  readonly waiting: number;
  /** The most reserves that ever waited at once. */
  readonly maxWaiting: number;
  /** Leases lent since the pool was made. */
  readonly reserves: number;
  /** Reserves that had to wait for a client. */
  readonly waits: number;
  /** Waits that ended with `ERR_RESERVE_TIMEOUT`. */
  readonly timeouts: number;
  /** Reserves that ended with `ERR_RESERVE_ABORTED`. */
  readonly aborts: number;
  /** Clients closed as broken: by `lease.discard()` or a failed `validate`. */
  readonly discards: number;
  /** Clones that failed (their slot is retried on a later reserve). */
  readonly cloneFailures: number;
}
