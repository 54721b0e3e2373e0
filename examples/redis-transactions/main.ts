// Concurrent bank transfers with WATCH/MULTI/EXEC over ioredis clients pooled
// in a ClientPool: the case where Node truly needs exclusive connections.
//
//   pnpm start                                   # on ioredis-mock, in memory
//   REDIS_URL=redis://127.0.0.1:6379 pnpm start  # against a real redis-server
//
// ACCOUNTS, TRANSFERS and POOL_SIZE tune it.
import { ClientPool } from '@clonepool/fifo-pool';
import { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { Bank, runTransfers } from './bank.js';

const accounts = Number(process.env.ACCOUNTS ?? 10);
const transfers = Number(process.env.TRANSFERS ?? 500);
const poolSize = Number(process.env.POOL_SIZE ?? 8);
const opening = 1_000;

const url = process.env.REDIS_URL?.trim();
// ioredis-mock implements the same API in memory; its duplicate() shares the store, as connections share a server.
const master: Redis = url ? new Redis(url, { lazyConnect: true }) : (new RedisMock() as unknown as Redis);
console.log(url ? `redis: ${url}` : 'redis: ioredis-mock (set REDIS_URL for a real server)');

// ioredis names its clone duplicate(): a new connection with the same options.
const pool = new ClientPool<Redis>({ clone: () => master.duplicate() }, poolSize);
const bank = new Bank(`clonepool-example:${process.pid}:${Date.now()}`, accounts);
let failed = false;
try {
  await bank.open(master, opening);
  const before = await bank.total(master);
  const started = performance.now();
  const report = await runTransfers(bank, pool, transfers);
  const elapsed = performance.now() - started;
  const after = await bank.total(master);
  const lowest = await bank.lowest(master);
  const stats = pool.stats();
  console.log(
    `${accounts} accounts of ${opening}; ${transfers} concurrent transfers on a pool of ${poolSize} connections`,
  );
  console.log(
    `done ${report.done}, refused for insufficient funds ${report.insufficient}, conflicts retried ${report.conflicts}`,
  );
  console.log(
    `pool: ${stats.reserves} reserves, ${stats.waits} waits, max ${stats.maxWaiting} waiting; ${elapsed.toFixed(0)} ms`,
  );
  console.log(`total before ${before}, after ${after}, lowest balance ${lowest}`);
  failed = after !== before || lowest < 0 || report.done + report.insufficient !== transfers;
  console.log(failed ? 'NOT CONSERVED' : 'conserved: yes');
  await bank.remove(master);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  // The pool quits every duplicate; the master is ours to quit.
  await pool.close();
  await master.quit();
}
process.exitCode = failed ? 1 : 0;
