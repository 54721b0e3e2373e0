// One distribution (kind × server count) in a fresh process: serverFor
// lookups per second over 1,024 realistic keys, and bytes allocated per lookup.
// The distribution comes from `@clonepool/memcached` (its build), or from the
// module named by BENCH_DISTRIBUTION_FROM (see suites/distribution.mjs).
import { bytesPerOp, caseArgs, report, throughput } from '../lib/harness.mjs';

const { kind, servers: count, durationMs, warmupMs } = caseArgs();
const from = process.env.BENCH_DISTRIBUTION_FROM ?? '@clonepool/memcached';
let createDistribution;
try {
  ({ createDistribution } = await import(from));
} catch (error) {
  report({ error: `${from} is not importable (${error.code ?? error.message})` });
  process.exit(0);
}
if (typeof createDistribution !== 'function') {
  report({ error: `${from} does not export createDistribution` });
  process.exit(0);
}

const servers = Array.from({ length: count }, (_, i) => ({ host: `10.0.0.${i + 1}`, port: 11211, weight: 1 }));
const distribution = createDistribution(servers, kind);
const encoder = new TextEncoder();
const keys = Array.from({ length: 1024 }, (_, i) => encoder.encode(`user:${i * 7919}:session`));

// A batch of lookups per op, so the harness's await per op does not dominate.
const BATCH = 1_000;
let at = 0;
let sink = 0;
const batch = () => {
  for (let i = 0; i < BATCH; i++) sink += distribution.serverFor(keys[at++ & 1023]);
};

const { opsPerSec } = await throughput(batch, { warmupMs, durationMs });
const bytes = await bytesPerOp(batch, 200);
report({ lookupsPerSec: opsPerSec * BATCH, bytesPerLookup: bytes / BATCH, sink });
