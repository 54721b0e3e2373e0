// MappedPool's reserve+release within a context that holds its client,
// against @clonepool/fifo-pool's ClientPool and the bare floor, and the cost
// of run() per context; each case in a fresh process. The target: a
// reserve in a context costs no more than 1.25x a FIFO reserve+release.
//
// Every case runs BENCH_ROUNDS times (default 5), the cases interleaved. The
// tables show each case's best round: on a shared machine the slow rounds
// measure the neighbours, not the code. The ratios against the target are
// the median over rounds of each round's own ratio, whose two cases ran
// seconds apart under about the same load.
// Everything, with the machine's facts, is recorded in bench/results/mapped-pool.json.
// Needs both pools built: tsc -p packages/mapped-pool/tsconfig.build.json and
// tsc -p packages/fifo-pool/tsconfig.build.json (or pnpm build).
import os from 'node:os';
import { printTable, rate, runIsolated } from '../lib/harness.mjs';
import { writeResults } from '../lib/results.mjs';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const timing = { durationMs: env('BENCH_DURATION_MS', 2_000), warmupMs: env('BENCH_WARMUP_MS', 500) };
const ROUNDS = env('BENCH_ROUNDS', 5);
const TARGET = 1.25;
const CYCLE = new URL('../cases/mapped-cycle.mjs', import.meta.url);
const RUN = new URL('../cases/mapped-run.mjs', import.meta.url);

/** Runs every case ROUNDS times, interleaved; returns each one's fastest round and every round in order. */
async function best(cases) {
  const results = new Map();
  const rounds = new Map(cases.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url, args] of cases) {
      const result = await runIsolated(url, { ...args, ...timing });
      rounds.get(name).push(result);
      if (!results.has(name) || result.opsPerSec > results.get(name).opsPerSec) results.set(name, result);
    }
  }
  return { results, rounds };
}

/** The median over rounds of how much more time a cycle of `name` took than one of `baseline` in the same round. */
function pairedRatio(rounds, name, baseline) {
  const ratios = rounds.get(name).map((result, i) => rounds.get(baseline)[i].opsPerSec / result.opsPerSec);
  ratios.sort((a, b) => a - b);
  const mid = ratios.length >> 1;
  return { median: ratios.length % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2, ratios };
}

const ns = (opsPerSec) => (1e9 / opsPerSec).toFixed(0);

const started = new Date();
const loadBefore = os.loadavg();
const { results: cycles, rounds } = await best([
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

const verdict = (name, baseline) => {
  const { median, ratios } = pairedRatio(rounds, name, baseline);
  const each = ratios.map((r) => r.toFixed(2)).join(' ');
  return `${median.toFixed(2)}x (target <= ${TARGET}: ${median <= TARGET ? 'met' : 'MISSED'}; rounds: ${each})`;
};
const MAPPED = 'MappedPool, in a run() context';
const FIFO = 'ClientPool (FIFO), 1 client (no ALS)';
const FIFO_ALS = 'ClientPool (FIFO), in an ALS context';
// What the JSON records of each comparison: the target's wording, the two cases and the paired ratios.
const comparisons = [
  ['in-context reserve+release vs FIFO, both in an AsyncLocalStorage context', MAPPED, FIFO_ALS],
  ['in-context reserve+release vs FIFO with no AsyncLocalStorage in the process', MAPPED, FIFO],
  ['root-context reserve+release vs FIFO, neither with AsyncLocalStorage', 'MappedPool, root context (no ALS)', FIFO],
].map(([what, name, baseline]) => {
  const { median, ratios } = pairedRatio(rounds, name, baseline);
  return {
    target: `${what}: ≤ ${TARGET}× the time`,
    status: median <= TARGET ? 'PASS' : 'MISS',
    measured: `${median.toFixed(2)}×`,
    detail: `median of ${ratios.length} paired rounds: ${ratios.map((r) => r.toFixed(2)).join(' ')}`,
    case: name,
    baseline,
    ratio: median,
    ratios,
  };
});
const alsTax = pairedRatio(rounds, 'bare floor, in an ALS context', FIFO);
console.log(`
Median per-round time ratios:
- in-context reserve+release vs FIFO, both in an AsyncLocalStorage context (the pool's own cost): ${verdict(MAPPED, 'ClientPool (FIFO), in an ALS context')}
- in-context reserve+release vs FIFO with no AsyncLocalStorage in the process (the pool plus Node 20's ALS tax): ${verdict(MAPPED, FIFO)}
- root-context reserve+release vs FIFO, neither with AsyncLocalStorage: ${verdict('MappedPool, root context (no ALS)', FIFO)}
- bare floor in an AsyncLocalStorage context vs FIFO without (the ALS tax alone): ${verdict('bare floor, in an ALS context', FIFO)}
`);

const { results: runs } = await best([
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
await writeResults('mapped-pool', {
  started,
  loadBefore,
  settings: { rounds: ROUNDS, ...timing, target: TARGET },
  targets: comparisons,
  // The bare floor in a context against FIFO without: Node 20's AsyncLocalStorage cost alone, not a target.
  alsTax: { ratio: alsTax.median, ratios: alsTax.ratios },
  results: {
    cycles: Object.fromEntries(
      [...cycles].map(([name, best]) => [name, { ...best, rounds: rounds.get(name).map((r) => r.opsPerSec) }]),
    ),
    contexts: Object.fromEntries(runs),
  },
});
