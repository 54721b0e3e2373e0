// Keyv's get and set over @clonepool/keyv's store against the same over
// @keyv/memcache, 200 in flight and one at a time, against one memcached this
// suite starts; each case in a fresh process, every case run BENCH_ROUNDS times
// in alternating order, the best round counting. Records everything, with the
// machine's facts, in bench/results/keyv.json. Needs @clonepool/keyv and
// @clonepool/memcached built (pnpm build).
import os from 'node:os';
import { printTable, rate, runIsolated } from '../lib/harness.mjs';
import { startMemcached } from '../lib/memcached-server.mjs';
import { writeResults } from '../lib/results.mjs';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const timing = { warmupMs: env('BENCH_WARMUP_MS', 1_000), durationMs: env('BENCH_DURATION_MS', 2_000) };
const ROUNDS = env('BENCH_ROUNDS', 2);
const SIZE = 100;
const KEY_COUNT = 1_000;
/** Every set carries a TTL, as cache-manager's do: one minute. */
const TTL_MS = 60_000;
const OURS = '@clonepool/keyv';
const PEER = '@keyv/memcache';
const STORES = [
  [OURS, new URL('../cases/keyv-clonepool.mjs', import.meta.url)],
  [PEER, new URL('../cases/keyv-memcache.mjs', import.meta.url)],
];
const SHAPES = [
  { id: 'get-c200', title: 'keyv.get of 100-byte values, 200 in flight', shape: 'get', concurrency: 200 },
  { id: 'set-c200', title: 'keyv.set of 100-byte values, 200 in flight', shape: 'set', concurrency: 200 },
  { id: 'get-c1', title: 'keyv.get, one at a time', shape: 'get', concurrency: 1 },
  { id: 'set-c1', title: 'keyv.set, one at a time', shape: 'set', concurrency: 1 },
];

const started = new Date();
const loadBefore = os.loadavg();
const server = await startMemcached();
const results = {};
try {
  for (const shape of SHAPES) {
    const runs = Object.fromEntries(STORES.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? STORES : [...STORES].reverse();
      for (const [name, url] of order) {
        process.stderr.write(`  ${shape.id} ${name} (round ${round + 1} of ${ROUNDS})…\n`);
        const args = {
          ...timing,
          shape: shape.shape,
          concurrency: shape.concurrency,
          size: SIZE,
          keyCount: KEY_COUNT,
          ttlMs: TTL_MS,
          servers: [server.address],
        };
        try {
          runs[name].push(await runIsolated(url, args, { timeoutMs: 120_000 }));
        } catch (error) {
          runs[name].push({ failed: `${error.message} (its stderr is above)` });
        }
      }
    }
    results[shape.id] = Object.fromEntries(
      STORES.map(([name]) => {
        const failed = runs[name].find((run) => run.failed);
        if (failed) return [name, failed];
        const best = runs[name].reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
        return [name, { ...best, rounds: runs[name].map((run) => run.opsPerSec) }];
      }),
    );
  }
} finally {
  await server.stop();
}

const fixed = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
for (const shape of SHAPES) {
  console.log(`\n### ${shape.title}\n`);
  const ours = results[shape.id][OURS];
  printTable(
    STORES.map(([name]) => {
      const r = results[shape.id][name];
      if (r.failed)
        return {
          store: name,
          'ops/s': `FAILED: ${r.failed}`,
          'CPU µs/op': '',
          'p50 / p99 µs': '',
          'ours ÷ this': '',
          'each round': '',
        };
      return {
        store: name,
        'ops/s': rate(r.opsPerSec),
        'CPU µs/op': fixed(r.cpuUsPerOp, 2),
        'p50 / p99 µs': shape.concurrency === 1 ? `${fixed(r.p50Us)} / ${fixed(r.p99Us)}` : '–',
        'ours ÷ this': ours && !ours.failed ? `${(ours.opsPerSec / r.opsPerSec).toFixed(2)}×` : '–',
        'each round': r.rounds.map(rate).join(' / '),
      };
    }),
  );
}
const loadAfter = os.loadavg();
console.log(
  `\n${os.cpus().length} cores shared by client and server; load average ${loadBefore.map((n) => n.toFixed(2)).join(' ')} before, ` +
    `${loadAfter.map((n) => n.toFixed(2)).join(' ')} after; warm-up ${timing.warmupMs} ms, measured ${timing.durationMs} ms per case, best of ${ROUNDS} rounds.`,
);
await writeResults('keyv', {
  started,
  loadBefore,
  settings: { rounds: ROUNDS, ...timing, size: SIZE, keyCount: KEY_COUNT, ttlMs: TTL_MS },
  results,
});
if (Object.values(results).some((shape) => Object.values(shape).some((r) => r.failed))) process.exitCode = 1;
