// One worker thread: it builds its own master Client and ClientPool from the
// server list in workerData (never a client from the main thread, which could
// not work: see main.ts), does its share of the work, reports, and closes.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ClientPool, type ClientPoolStats } from '@clonepool/fifo-pool';
import { Client } from '@clonepool/memcached';

/** What the main thread sends each worker: plain data, which structured clone copies faithfully. */
export interface WorkerInput {
  readonly worker: number;
  readonly servers: readonly string[];
  readonly jobs: number;
  readonly poolSize: number;
  readonly keyPrefix: string;
}

/** What each worker reports back. */
export interface WorkerReport {
  readonly worker: number;
  readonly threadId: number;
  readonly jobs: number;
  /** Jobs whose value read back equal to what was written. */
  readonly verified: number;
  /** The sum of every job's result, for the main thread to check. */
  readonly sum: number;
  readonly pool: ClientPoolStats;
}

const input = workerData as WorkerInput;
const master = new Client(input.servers, { keyPrefix: input.keyPrefix });
const pool = new ClientPool(master, input.poolSize);

/** One job: write a document, read it back, count it in a counter every worker shares. */
async function job(n: number): Promise<{ ok: boolean; result: number }> {
  return pool.use(
    async (client) => {
      const key = `w${input.worker}:job${n}`;
      const document = { worker: input.worker, job: n, square: n * n };
      await client.set(key, document, { ttl: 300 });
      const back = await client.get<typeof document>(key);
      if ((await client.incr('jobs-done')) === undefined) {
        // The first job anywhere creates the counter; add() loses the race gracefully to another thread.
        if (!(await client.add('jobs-done', 1))) await client.incr('jobs-done');
      }
      return { ok: back?.square === n * n && back.worker === input.worker, result: back?.square ?? 0 };
    },
    { block: true, timeoutMs: 10_000 },
  );
}

try {
  const results = await Promise.all(Array.from({ length: input.jobs }, (_, n) => job(n)));
  const report: WorkerReport = {
    worker: input.worker,
    threadId,
    jobs: results.length,
    verified: results.filter((r) => r.ok).length,
    sum: results.reduce((total, r) => total + r.result, 0),
    pool: pool.stats(),
  };
  parentPort?.postMessage(report);
} finally {
  // Everything this thread opened, it closes: the pool's clones, then the master.
  await pool.close();
  await master.close();
}
