// MappedPool's reserve+release within a context that holds its client,
// against @clonepool/fifo-pool's ClientPool and the bare floor, and the cost
// of run() per context; each case in a fresh process. The target: a
// reserve in a context costs no more than 1.25x a FIFO reserve+release.
//
// Every case runs BENCH_ROUNDS times (default 3), the cases interleaved, and
// the best round counts: on a shared machine the slowest rounds measure the
// neighbours, not the code.
// Needs both pools built: tsc -p packages/mapped-pool/tsconfig.build.json and
// tsc -p packages/fifo-pool/tsconfig.build.json (or pnpm build).
import { printTable, rate, runIsolated } from '../lib/harness.mjs';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const timing = { durationMs: env('BENCH_DURATION_MS', 2_000), warmupMs: env('BENCH_WARMUP_MS', 500) };
const ROUNDS = env('BENCH_ROUNDS', 3);
const TARGET = 1.25;
const CYCLE = new URL('../cases/mapped-cycle.mjs', import.meta.url);
const RUN = new URL('../cases/mapped-run.mjs', import.meta.url);

/** Runs every case ROUNDS times, interleaved, and keeps each one's fastest round. */
async function best(cases) {
  const results = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url, args] of cases) {
      const result = await runIsolated(url, { ...args, ...timing });
      if (!results.has(name) || result.opsPerSec > results.get(name).opsPerSec) results.set(name, result);
    }
  }
  return results;
}

const ns = (opsPerSec) => (1e9 / opsPerSec).toFixed(0);

const cycles = await best([
  ['MappedPool, in a run() context', CYCLE, { subject: 'mapped-context' }],
  ['ClientPool (FIFO), in an ALS context', CYCLE, { subject: 'fifo', inContext: true }],
  ['bare floor, in an ALS context', CYCLE, { subject: 'floor', inContext: true }],
  ['MappedPool, root context (no ALS)', CYCLE, { subject: 'mapped-root' }],
  ['ClientPool (FIFO), 1 client (no ALS)', CYCLE, { subject: 'fifo' }],
  ['bare floor (no ALS)', CYCLE, { subject: 'floor' }],
]);
const fifo = cycles.get('ClientPool (FIFO), 1 client (no ALS)').opsPerSec;
const fifoInContext = cycles.get('ClientPool (FIFO), in an ALS context').opsPerSec;
printTable(
  [...cycles].map(([name, result]) => ({
    'reserve+release': name,
    'cycles/s': rate(result.opsPerSec),
    'ns/cycle': ns(result.opsPerSec),
    'bytes/cycle': result.bytesPerCycle.toFixed(0),
    'x FIFO (no ALS)': (fifo / result.opsPerSec).toFixed(2),
    'x FIFO (ALS)': (fifoInContext / result.opsPerSec).toFixed(2),
  })),
);

const mapped = cycles.get('MappedPool, in a run() context').opsPerSec;
const root = cycles.get('MappedPool, root context (no ALS)').opsPerSec;
const verdict = (ratio) => `${ratio.toFixed(2)}x (target <= ${TARGET}: ${ratio <= TARGET ? 'met' : 'MISSED'})`;
console.log(`
In-context reserve+release vs FIFO, both in an AsyncLocalStorage context (the pool's own cost): ${verdict(fifoInContext / mapped)}
In-context reserve+release vs FIFO with no AsyncLocalStorage in the process (pool + Node 20's ALS tax): ${verdict(fifo / mapped)}
Root-context reserve+release vs FIFO, neither with AsyncLocalStorage: ${verdict(fifo / root)}
`);

const runs = await best([
  ['run() + first reserve (clone) + release + relinquish', RUN, { body: 'reserve' }],
  ['run() with an empty body', RUN, { body: 'empty' }],
]);
printTable(
  [...runs].map(([name, result]) => ({
    'per context': name,
    'runs/s': rate(result.opsPerSec),
    'ns/run': ns(result.opsPerSec),
    'bytes/run': result.bytesPerRun.toFixed(0),
  })),
);
