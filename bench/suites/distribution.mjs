// serverFor of the memcached driver's key distribution: lookups per second
// and bytes allocated per lookup, for modula, ketama and weighted ketama over
// 3 and 10 servers, each case in a fresh process. Keys are ~20 bytes.
//
// Runs the driver's build (`@clonepool/memcached`). To measure the source
// instead, before the build exports it:
//   NODE_OPTIONS="--import=$(realpath tools/doctest/node_modules/tsx/dist/esm/index.mjs) --conditions=@clonepool/source" \
//   BENCH_DISTRIBUTION_FROM=$PWD/packages/memcached-driver/src/distribution/index.ts node bench/run.mjs distribution
// A full, measured run is recorded in bench/results/distribution.json.
import os from 'node:os';
import { printTable, rate, runIsolated } from '../lib/harness.mjs';
import { writeResults } from '../lib/results.mjs';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const durationMs = env('BENCH_DURATION_MS', 2_000);
const warmupMs = env('BENCH_WARMUP_MS', 500);
const CASE = new URL('../cases/distribution-serverfor.mjs', import.meta.url);

const started = new Date();
const loadBefore = os.loadavg();
const rows = [];
const recorded = [];
for (const kind of ['modula', 'ketama', 'ketama-weighted']) {
  for (const servers of [3, 10]) {
    const result = await runIsolated(CASE, { kind, servers, durationMs, warmupMs });
    if (result.error) {
      console.log(`distribution: not measured: ${result.error}; build packages/memcached-driver first`);
      break;
    }
    recorded.push({ kind, servers, ...result });
    rows.push({
      distribution: kind,
      servers,
      'serverFor/s': rate(result.lookupsPerSec),
      'ns/lookup': (1e9 / result.lookupsPerSec).toFixed(0),
      'bytes/lookup': result.bytesPerLookup.toFixed(1),
    });
  }
  if (rows.length === 0) break;
}
printTable(rows);
// Only a run that measured every case (from the build, as users get it) is recorded.
if (recorded.length === 6 && !process.env.BENCH_DISTRIBUTION_FROM) {
  await writeResults('distribution', {
    started,
    loadBefore,
    settings: { durationMs, warmupMs, keys: 1024 },
    targets: [],
    results: recorded,
  });
}
