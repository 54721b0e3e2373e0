// A pool per worker thread.
//
// Why a client cannot cross threads: a memcached client is its sockets, and a
// socket belongs to the event loop of the thread that opened it — its reads and
// writes are callbacks on that loop. postMessage() copies data with the
// structured clone algorithm, which keeps plain data only: a class instance
// arrives as a bare object without its methods, private fields or connections
// (this program shows it below), and a net.Socket is not transferable at all.
// So each worker gets the server list — plain strings — and builds its own
// master Client and ClientPool, uses them, and closes them before it exits.
//
//   MEMCACHED_SERVERS=127.0.0.1:21211,127.0.0.1:21212 WORKERS=4 JOBS=200 pnpm start
//
// Without MEMCACHED_SERVERS it starts two memcached servers of its own.
import { Worker } from 'node:worker_threads';
import { Client } from '@clonepool/memcached';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import type { WorkerInput, WorkerReport } from './worker.js';

const workers = Number(process.env.WORKERS ?? 4);
const jobs = Number(process.env.JOBS ?? 200);
const poolSize = Number(process.env.POOL_SIZE ?? 4);
const keyPrefix = `worker-threads:${process.pid}:${Date.now()}:`;

const own: TestMemcached[] = [];
const stopOwn = () => Promise.all(own.map((server) => server.stop()));
let servers = process.env.MEMCACHED_SERVERS?.split(',')
  .map((server) => server.trim())
  .filter(Boolean);
if (!servers?.length) {
  for (let i = 0; i < 2; i++) {
    const server = await startMemcached();
    own.push(server);
    console.log(`started memcached on ${server.address} (pid ${server.pid})`);
  }
  servers = own.map((server) => server.address);
}

// Workers run TypeScript too. They resolve our packages to their sources as this
// thread does (the condition), and worker-entry.mjs registers tsx: on Node 20 a
// worker ignores the loaders of an `--import tsx` in its execArgv.
const execArgv = ['--conditions=@clonepool/source'];
const running = new Set<Worker>();
// Ctrl-C: stop the workers (their pools die with their threads' event loops), then our servers.
const stop = (): void => {
  console.log('interrupted: stopping the workers');
  void Promise.all([...running].map((worker) => worker.terminate()))
    .then(stopOwn)
    .finally(() => process.exit(130));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

function runWorker(worker: number): Promise<WorkerReport> {
  const input: WorkerInput = { worker, servers: servers ?? [], jobs, poolSize, keyPrefix };
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: input, execArgv });
    running.add(thread);
    let report: WorkerReport | undefined;
    thread.once('message', (message: WorkerReport) => {
      report = message;
    });
    thread.once('error', reject);
    thread.once('exit', (code) => {
      running.delete(thread);
      if (report !== undefined && code === 0) resolve(report);
      else reject(new Error(`worker ${worker} exited with code ${code} and ${report ? 'a' : 'no'} report`));
    });
  });
}

let failed = false;
const check = new Client(servers, { keyPrefix });
try {
  // What a client looks like after a structured clone (which postMessage uses): no methods, no sockets.
  const copy = structuredClone(check) as unknown as Record<string, unknown>;
  console.log(`a client after structuredClone: get is ${typeof copy.get}, keys ${JSON.stringify(Object.keys(copy))}`);

  const started = performance.now();
  const reports = await Promise.all(Array.from({ length: workers }, (_, worker) => runWorker(worker)));
  const elapsed = performance.now() - started;
  const expectedSum = Array.from({ length: jobs }, (_, n) => n * n).reduce((a, b) => a + b, 0);
  for (const report of reports) {
    const ok = report.verified === jobs && report.sum === expectedSum;
    failed ||= !ok;
    console.log(
      `worker ${report.worker} (thread ${report.threadId}): ${report.verified}/${report.jobs} jobs verified, ` +
        `sum ${report.sum}, pool of ${report.pool.size}: ${report.pool.reserves} reserves, ${report.pool.waits} waits ` +
        `${ok ? 'ok' : 'WRONG'}`,
    );
  }
  const threads = new Set(reports.map((report) => report.threadId)).size;
  const done = Number(await check.get('jobs-done'));
  failed ||= done !== workers * jobs || threads !== workers;
  console.log(`jobs-done counter: ${done} (expected ${workers * jobs}), ${threads} threads, ${elapsed.toFixed(0)} ms`);
  console.log(failed ? 'FAILED' : `all ${workers} workers ok`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await check.close();
  await stopOwn();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}
process.exitCode = failed ? 1 : 0;
