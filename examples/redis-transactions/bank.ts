// Transfers between accounts with optimistic locking: WATCH the two balances,
// read them, and write both in MULTI/EXEC, which Redis refuses (EXEC answers
// null) if either key changed since the WATCH; then read again and retry.
//
// WATCH belongs to a connection, not to a caller: on one shared connection,
// one transfer's EXEC (or UNWATCH) clears the watches of every other transfer
// in flight, whose EXEC then runs unguarded and writes balances computed from
// stale reads — money appears or vanishes. So each transfer takes a connection
// of its own from a ClientPool for the length of its transaction.
import type { ClientPool } from '@clonepool/fifo-pool';
import type { Redis } from 'ioredis';

/** How a transfer ended. */
export type TransferOutcome = 'done' | 'insufficient';

/** What a batch of transfers did. */
export interface BankReport {
  readonly done: number;
  readonly insufficient: number;
  /** EXECs refused because a watched balance changed, each retried. */
  readonly conflicts: number;
}

/** Names the keys of one run, so runs (and the mock's shared store) never collide. */
export class Bank {
  constructor(
    readonly prefix: string,
    readonly accounts: number,
  ) {}

  key(account: number): string {
    return `${this.prefix}:account:${account}`;
  }

  keys(): string[] {
    return Array.from({ length: this.accounts }, (_, account) => this.key(account));
  }

  /** Opens every account with `balance`. */
  async open(redis: Redis, balance: number): Promise<void> {
    await redis.mset(Object.fromEntries(this.keys().map((key) => [key, String(balance)])));
  }

  /** The sum of every balance. */
  async total(redis: Redis): Promise<number> {
    const balances = await redis.mget(this.keys());
    return balances.reduce((sum, balance) => sum + Number(balance ?? 0), 0);
  }

  /** The lowest balance. */
  async lowest(redis: Redis): Promise<number> {
    return Math.min(...(await redis.mget(this.keys())).map((balance) => Number(balance ?? 0)));
  }

  /** Deletes every account. */
  async remove(redis: Redis): Promise<void> {
    await redis.del(this.keys());
  }

  /**
   * Moves `amount` from one account to another, never below zero, on a
   * connection of its own for the whole WATCH … EXEC. `onConflict` is told of
   * each refused EXEC before the retry.
   */
  async transfer(
    pool: ClientPool<Redis>,
    from: number,
    to: number,
    amount: number,
    onConflict: () => void = () => {},
  ): Promise<TransferOutcome> {
    const [fromKey, toKey] = [this.key(from), this.key(to)];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = await pool.use(
        async (redis) => {
          await redis.watch(fromKey, toKey);
          const [a, b] = (await redis.mget(fromKey, toKey)).map(Number) as [number, number];
          if (a < amount) {
            await redis.unwatch();
            return 'insufficient' as const;
          }
          // Let other transfers run between the read and the write, as real work would.
          await new Promise((resolve) => setImmediate(resolve));
          const replies = await redis
            .multi()
            .set(fromKey, String(a - amount))
            .set(toKey, String(b + amount))
            .exec();
          return replies === null ? ('conflict' as const) : ('done' as const);
        },
        { block: true, timeoutMs: 10_000 },
      );
      if (outcome !== 'conflict') return outcome;
      onConflict();
    }
    throw new Error(`transfer ${from} → ${to} still conflicting after ${MAX_ATTEMPTS} attempts`);
  }
}

const MAX_ATTEMPTS = 1_000;

/** Runs `transfers` random transfers at once (a seeded generator, so runs are repeatable). */
export async function runTransfers(
  bank: Bank,
  pool: ClientPool<Redis>,
  transfers: number,
  seed = 7,
): Promise<BankReport> {
  const random = mulberry32(seed);
  let conflicts = 0;
  const outcomes = await Promise.all(
    Array.from({ length: transfers }, () => {
      const from = Math.floor(random() * bank.accounts);
      const to = (from + 1 + Math.floor(random() * (bank.accounts - 1))) % bank.accounts;
      const amount = 1 + Math.floor(random() * 50);
      return bank.transfer(pool, from, to, amount, () => conflicts++);
    }),
  );
  return {
    done: outcomes.filter((outcome) => outcome === 'done').length,
    insufficient: outcomes.filter((outcome) => outcome === 'insufficient').length,
    conflicts,
  };
}

/** A small seeded PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
