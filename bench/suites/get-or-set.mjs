// Hot keys expiring under load (issue 13): P processes × C callers in a closed loop over a few
// hot keys whose value is fresh for 2 s, behind a factory of 50 ms. For each way of caching it
// measures how many factory runs one expiry of one key costs (1.00 is one refresh for all
// processes) and the p99 latency of the calls for a key in the 200 ms after its expiry,
// against a plain hit's p99 in the same run. Each case is P fresh processes started together
// (cases/get-or-set-worker.mjs). Needs @clonepool/memcached and @clonepool/keyv built
// (pnpm build); bentocache runs over a redis-server the suite starts, when one is installed.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { printTable, runIsolated } from '../lib/harness.mjs';
import { startMemcached } from '../lib/memcached-server.mjs';
import { REDIS, startRedis } from '../lib/redis-server.mjs';
import { writeResults } from '../lib/results.mjs';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const SETTINGS = {
  processes: env('BENCH_GOS_PROCESSES', 4),
  concurrency: env('BENCH_GOS_CONCURRENCY', 250),
  keyCount: env('BENCH_GOS_KEYS', 4),
  ttlSeconds: 2,
  graceSeconds: 10,
  factoryMs: 50,
  warmupMs: env('BENCH_WARMUP_MS', 3_000),
  durationMs: env('BENCH_DURATION_MS', 10_000),
  /** Calls started this long after an expiry count as "after the expiry". */
  afterExpiryMs: 200,
};
/** Factory runs of one key further apart than this belong to different expiries (the TTL is 2 s). */
const ROUND_GAP_MS = 1_000;
const CASES = [
  { id: 'hit', label: 'plain get of a key that never expires (baseline)' },
  { id: 'get-or-set-hit', label: '@clonepool/memcached getOrSet of a key that never expires', ours: true },
  { id: 'get-miss-set', label: 'get, and on a miss the factory and set (no protection)' },
  { id: 'get-or-set', label: '@clonepool/memcached getOrSet, grace 10 s', ours: true },
  { id: 'get-or-set-no-grace', label: '@clonepool/memcached getOrSet, no grace', ours: true },
  { id: 'cache-manager', label: 'cache-manager 7 wrap, refreshThreshold 10 s, over Keyv and @clonepool/keyv' },
  { id: 'bentocache', label: 'bentocache 1.6 getOrSet, grace 10 s, memory + Redis + Redis bus', redis: true },
];
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;

/** Runs one case: P worker processes at once; resolves to their reports and their samples. */
async function runCase(spec, servers, dir) {
  const prefix = `gos-${spec.id}-${Date.now()}:`;
  if (spec.id === 'hit') await seedHits(servers.memcached, prefix);
  // Every process starts its callers at the same moment, once all have loaded.
  const startAt = Date.now() + 2_500;
  const workers = Array.from({ length: SETTINGS.processes }, (_, p) =>
    runIsolated(
      new URL('../cases/get-or-set-worker.mjs', import.meta.url),
      {
        ...SETTINGS,
        strategy: spec.id,
        memcached: servers.memcached,
        redisPort: servers.redisPort,
        prefix,
        startAt,
        samplesFile: join(dir, `${spec.id}-${p}.f32`),
      },
      { timeoutMs: 120_000 },
    ),
  );
  const reports = await Promise.all(workers);
  const samples = await Promise.all(reports.map((_, p) => readFile(join(dir, `${spec.id}-${p}.f32`))));
  // Copied out of the file's buffer, which need not be 4-byte aligned.
  return { reports, samples: samples.map((b) => new Float32Array(new Uint8Array(b).buffer)), startAt };
}

/** The hit baseline's keys, stored for good through our client (as a user would). */
async function seedHits(address, prefix) {
  const { Client } = await import('@clonepool/memcached');
  const client = new Client(address);
  for (let i = 0; i < SETTINGS.keyCount; i++) {
    await client.set(`${prefix}hot:${i}`, `value of ${prefix}hot:${i} #0 from the suite`);
  }
  await client.close();
}

/**
 * The factory runs of each key grouped into refreshes (runs further apart than ROUND_GAP_MS
 * start a new one); a refresh counts when it starts in the measured window.
 */
function refreshes(reports, from, to) {
  const byKey = Array.from({ length: SETTINGS.keyCount }, () => []);
  for (const { factoryRuns } of reports) {
    for (let j = 0; j < factoryRuns.length; j += 2) byKey[factoryRuns[j]].push(factoryRuns[j + 1]);
  }
  const rounds = [];
  byKey.forEach((times, key) => {
    times.sort((a, b) => a - b);
    for (const t of times) {
      const last = rounds.findLast((round) => round.key === key);
      if (last !== undefined && t - last.end <= ROUND_GAP_MS) {
        last.runs++;
        last.end = t;
      } else rounds.push({ key, start: t, end: t, runs: 1 });
    }
  });
  return rounds.filter((round) => round.start >= from && round.start < to);
}

/** The p-th percentile of `values` (a Float64Array, sorted in place). */
function percentileOf(values, p) {
  if (values.length === 0) return Number.NaN;
  values.sort();
  return values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
}

/** The figures of one case, from its processes' reports and samples (Float32 triples: start after startAt, latency, key). */
function analyse(spec, { reports, samples, startAt }) {
  const from = startAt + SETTINGS.warmupMs;
  const to = from + SETTINGS.durationMs;
  const total = samples.reduce((sum, s) => sum + s.length / 3, 0);
  const all = new Float64Array(total);
  const rounds = refreshes(reports, from, to - SETTINGS.afterExpiryMs);
  // Each key's windows after its expiries: a few per key, so each sample is checked against a few.
  const windows = Array.from({ length: SETTINGS.keyCount }, () => []);
  for (const round of rounds) windows[round.key].push(round.start - startAt);
  const after = [];
  let n = 0;
  for (const s of samples) {
    for (let j = 0; j < s.length; j += 3) {
      const start = s[j];
      const latency = s[j + 1];
      all[n++] = latency;
      for (const t of windows[s[j + 2]]) {
        if (start >= t && start < t + SETTINGS.afterExpiryMs) after.push(latency);
      }
    }
  }
  const afterExpiry = Float64Array.from(after);
  const runs = rounds.reduce((sum, round) => sum + round.runs, 0);
  const sum = (name) => reports.reduce((acc, r) => acc + r[name], 0);
  return {
    label: spec.label,
    callsPerSec: total / (SETTINGS.durationMs / 1_000),
    measured: total,
    errors: sum('errors'),
    bad: sum('bad'),
    firstError: reports.find((r) => r.firstError)?.firstError,
    expiries: rounds.length,
    factoryRuns: runs,
    runsPerExpiry: rounds.length === 0 ? Number.NaN : runs / rounds.length,
    maxRunsPerExpiry: Math.max(0, ...rounds.map((round) => round.runs)),
    p50Ms: percentileOf(all, 50),
    p99Ms: percentileOf(all, 99),
    afterExpiryCalls: afterExpiry.length,
    p50AfterExpiryMs: percentileOf(afterExpiry, 50),
    p99AfterExpiryMs: percentileOf(afterExpiry, 99),
  };
}

function targetsOf(results) {
  const hit = results.hit;
  const targets = [];
  for (const id of ['get-or-set', 'get-or-set-no-grace']) {
    const r = results[id];
    if (r === undefined || r.failed) continue;
    targets.push({
      target: `${id === 'get-or-set' ? 'with grace' : 'without grace'}: factory runs per key per expiry = 1.00`,
      measured: r.runsPerExpiry.toFixed(2),
      detail: `${r.factoryRuns} runs over ${r.expiries} expiries; most in one: ${r.maxRunsPerExpiry}`,
      status: r.factoryRuns === r.expiries && r.expiries > 0 ? 'PASS' : 'MISS',
    });
  }
  const ours = results['get-or-set'];
  if (ours && !ours.failed && hit && !hit.failed) {
    const ratio = ours.p99AfterExpiryMs / hit.p99Ms;
    const oursHit = results['get-or-set-hit'];
    const vsOurs =
      oursHit && !oursHit.failed
        ? `; ${(ours.p99AfterExpiryMs / oursHit.p99Ms).toFixed(2)}× getOrSet's own hit p99`
        : '';
    targets.push({
      target: "with grace: p99 in the 200 ms after an expiry ≤ 2× a plain hit's p99",
      measured: `${ratio.toFixed(2)}×`,
      detail: `${ours.p99AfterExpiryMs.toFixed(1)} ms (${ours.afterExpiryCalls} calls) vs ${hit.p99Ms.toFixed(1)} ms${vsOurs}`,
      status: ratio <= 2 ? 'PASS' : 'MISS',
    });
  }
  return targets;
}

const started = new Date();
const loadBefore = os.loadavg();
const hasRedis = existsSync(REDIS);
const memcached = await startMemcached();
const redis = hasRedis ? await startRedis() : undefined;
const dir = await mkdtemp(join(os.tmpdir(), 'clonepool-gos-'));
const results = {};
try {
  for (const spec of CASES) {
    if (only && !only.test(spec.id)) continue;
    if (spec.redis && redis === undefined) {
      results[spec.id] = { label: spec.label, failed: `not measured: no redis-server at ${REDIS}` };
      continue;
    }
    process.stderr.write(`  ${spec.id}…\n`);
    try {
      results[spec.id] = analyse(
        spec,
        await runCase(spec, { memcached: memcached.address, redisPort: redis?.port }, dir),
      );
    } catch (error) {
      results[spec.id] = { label: spec.label, failed: `${error.message} (its stderr is above)` };
    }
  }
} finally {
  await Promise.all([memcached.stop(), redis?.stop(), rm(dir, { recursive: true, force: true })]);
}

const fixed = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
console.log(
  `\n### ${SETTINGS.processes} processes × ${SETTINGS.concurrency} callers, ${SETTINGS.keyCount} hot keys fresh for ${SETTINGS.ttlSeconds} s, factory ${SETTINGS.factoryMs} ms\n`,
);
printTable(
  Object.entries(results).map(([id, r]) =>
    r.failed
      ? {
          case: id,
          'calls/s': `FAILED: ${r.failed}`,
          'runs/expiry': '',
          expiries: '',
          'p99 ms': '',
          'p99 after expiry': '',
        }
      : {
          case: id,
          'calls/s': fixed(r.callsPerSec, 0),
          'runs/expiry': r.expiries === 0 ? '–' : fixed(r.runsPerExpiry, 2),
          expiries: r.expiries === 0 ? '–' : `${r.expiries} (max ${r.maxRunsPerExpiry} runs)`,
          'p99 ms': fixed(r.p99Ms),
          'p99 after expiry': r.expiries === 0 ? '–' : `${fixed(r.p99AfterExpiryMs)} ms of ${r.afterExpiryCalls}`,
          'errors/bad': `${r.errors}/${r.bad}`,
        },
  ),
);
const targets = only ? [] : targetsOf(results);
console.log('');
if (targets.length > 0) printTable(targets);
const loadAfter = os.loadavg();
console.log(
  `\n${os.cpus().length} cores shared by the processes, memcached and redis; load average ${loadBefore.map((n) => n.toFixed(2)).join(' ')} before, ${loadAfter.map((n) => n.toFixed(2)).join(' ')} after.`,
);
if (only) {
  console.log('\nBENCH_ONLY: a partial run; bench/results/get-or-set.json is left as it was.');
} else {
  await writeResults('get-or-set', { started, loadBefore, settings: SETTINGS, results, targets });
}
const failed = Object.values(results).some((r) => r.failed || r.errors > 0 || r.bad > 0);
if (failed || targets.some((t) => t.status !== 'PASS')) process.exitCode = 1;
