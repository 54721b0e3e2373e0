// ClientPool against the bare floor, generic-pool and tarn: a reserve+release
// cycle, one caller in a loop and 1,000 callers sharing 10 clients, each case
// in a fresh process. Prints the figures and the ratios the issue targets, and
// records them, with the machine's facts, in bench/results/fifo-pool.json.
// Needs @clonepool/fifo-pool built (pnpm build, or tsc -p packages/fifo-pool/tsconfig.build.json).
import os from 'node:os';
import { printTable, rate, runIsolated } from '../lib/harness.mjs';
import { writeResults } from '../lib/results.mjs';

const CASES = [
  ['bare floor', 'fifo-floor.mjs'],
  ['ClientPool', 'fifo-client-pool.mjs'],
  ['generic-pool', 'fifo-generic-pool.mjs'],
  ['tarn', 'fifo-tarn.mjs'],
];
const CLIENTS = 10;
const CALLERS = 1_000;
// Other work on the machine only ever slows a case down, so each case runs in
// several rounds, interleaved with the others, and its best round counts.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const started = new Date();
const loadBefore = os.loadavg();
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, file] of CASES) {
    const url = new URL(`../cases/${file}`, import.meta.url);
    const single = await runIsolated(url, { shape: 'single', clients: CLIENTS });
    const contended = await runIsolated(url, { shape: 'contended', clients: CLIENTS, callers: CALLERS });
    const best = results[name];
    const each = { single: single.opsPerSec, contended: contended.opsPerSec };
    if (best === undefined) results[name] = { single, contended, rounds: [each] };
    else {
      if (single.opsPerSec > best.single.opsPerSec) best.single = single;
      if (contended.opsPerSec > best.contended.opsPerSec) best.contended = contended;
      best.rounds.push(each);
    }
  }
}
console.log(`Best of ${ROUNDS} rounds per case (waits are from the round with the best throughput).\n`);

const us = (n) => `${n.toFixed(0)} µs`;
printTable(
  CASES.map(([name]) => {
    const { single, contended } = results[name];
    return {
      case: name,
      'one caller (cycles/s)': rate(single.opsPerSec),
      'bytes/cycle': single.bytesPerCycle.toFixed(0),
      [`${CALLERS} callers / ${CLIENTS} clients (cycles/s)`]: rate(contended.opsPerSec),
      'p50 wait': us(contended.p50WaitUs),
      'p99 wait': us(contended.p99WaitUs),
      'max wait': us(contended.maxWaitUs),
    };
  }),
);

const pool = results.ClientPool;
const ratio = (a, b) => a / b;
const targets = [
  ['one caller vs bare floor', ratio(pool.single.opsPerSec, results['bare floor'].single.opsPerSec), '≥ 0.5×', 0.5],
  ['one caller vs generic-pool', ratio(pool.single.opsPerSec, results['generic-pool'].single.opsPerSec), '≥ 2×', 2],
  ['one caller vs tarn', ratio(pool.single.opsPerSec, results.tarn.single.opsPerSec), '≥ 5×', 5],
  [
    'contended vs generic-pool',
    ratio(pool.contended.opsPerSec, results['generic-pool'].contended.opsPerSec),
    '≥ 2×',
    2,
  ],
];
const recorded = [
  ...targets.map(([what, value, wanted, min]) => ({
    target: `${what}: ${wanted}`,
    status: value >= min ? 'PASS' : 'MISS',
    measured: `${value.toFixed(2)}×`,
  })),
  {
    target: 'contended p99 wait vs generic-pool: no worse',
    status: pool.contended.p99WaitUs <= results['generic-pool'].contended.p99WaitUs ? 'PASS' : 'MISS',
    measured: `${us(pool.contended.p99WaitUs)} vs ${us(results['generic-pool'].contended.p99WaitUs)}`,
  },
];
console.log('');
printTable(recorded.map(({ status, target, measured }) => ({ status, target, measured })));

await writeResults('fifo-pool', {
  started,
  loadBefore,
  settings: { rounds: ROUNDS, clients: CLIENTS, callers: CALLERS, warmupMs: 500, durationMs: 2_000 },
  targets: recorded,
  results,
});
