// The memcached driver against its Node peers, pylibmc and raw-socket ceilings,
// all in one run against memcached servers this suite starts: one fresh process
// per (client × shape), a table per shape with absolute figures and ratios, and
// the targets of issues 5, 6 and 14 checked as ratios measured in this same run.
// Results also go to bench/results/memcached.json. See bench/README.md.
import { readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { printTable, rate, runIsolated } from '../lib/harness.mjs';
import { getCounters, seedBenchData, startMemcached, startMemcachedServers } from '../lib/memcached-server.mjs';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const WARMUP_MS = env('BENCH_WARMUP_MS', 1_000);
const DURATION_MS = env('BENCH_DURATION_MS', 2_000);
/**
 * Every (client × shape) runs this many times, in alternating order (A B C, C B A, …), and the best
 * run counts: other load on the machine only ever slows a run down, so the best of a few is the one
 * least disturbed, and alternating keeps any one client from always running in the same slot.
 */
const ROUNDS = env('BENCH_ROUNDS', 2);
const KEY_COUNT = 1_000;
const SMALL = 100;
const LARGE = 10 * 1024;
const IN_FLIGHT = 200;
const MULTI_KEYS = 100;
const MULTI_IN_FLIGHT = 10;
/** The callers of the second latency shape, where merged gets can merge. */
const LATENCY_IN_FLIGHT = 10;
const RING_SERVERS = 3;
const MEMORY_OPS = env('BENCH_MEMORY_OPS', 1_000_000);
/** Heap growth (after a full GC) over the memory run that still counts as flat. */
const FLAT_HEAP_BYTES = 1024 * 1024;
/**
 * Growth of RSS outside the V8 heap (rss minus the heap's resident pages) over the memory run that still counts as flat.
 * RSS itself steps up by tens of MiB when V8 grows the young generation (the harness allows it
 * 128 MiB semi-spaces), with or without a leak; native memory (buffers, sockets) is what leaks show in.
 */
const FLAT_NATIVE_BYTES = 8 * 1024 * 1024;

const OURS = 'clonepool';
/** Ours with `mergeGets: false`: one command per get, as before merged gets. */
const UNMERGED = 'clonepool-unmerged';
const PEERS = ['memjs', 'memcached', 'memcache-client'];
const ALL = ['raw', OURS, ...PEERS];
/** The keys of one line of the raw merged ceiling: all 200 in flight, as our 200 callers' gets can merge. */
const MERGE_KEYS = IN_FLIGHT;
/**
 * Each client's case file (`cases/memcached-<file>.mjs`) and what it adds to a shape's
 * arguments: the raw merged ceiling is the raw case sending `get k1 … k200` lines, and
 * ours unmerged is our case with `mergeGets: false`.
 */
const CLIENTS = {
  raw: { file: 'raw' },
  'raw-merged': { file: 'raw', args: { mergeKeys: MERGE_KEYS } },
  [OURS]: { file: OURS },
  [UNMERGED]: { file: OURS, args: { options: { mergeGets: false } } },
  ...Object.fromEntries(PEERS.map((peer) => [peer, { file: peer }])),
  pylibmc: { file: 'pylibmc' },
};
const caseFile = (client) => new URL(`../cases/memcached-${CLIENTS[client].file}.mjs`, import.meta.url);
const caseEnv = (client) =>
  CLIENTS[client].file === OURS && FROM_SOURCE
    ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${tsx} --conditions=@clonepool/source`.trim() }
    : {};
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;

// Our client runs from its build; a stale build would measure old code.
function newestMtime(dir) {
  let latest = 0;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      latest = Math.max(latest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
    }
  } catch {
    return 0;
  }
  return latest;
}

// Our driver runs from dist/ (what users get), or from src/ through tsx with BENCH_DRIVER=src.
const FROM_SOURCE = process.env.BENCH_DRIVER === 'src';
const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Null when our client gets and multi-gets the seeded keys from `servers`, else why not. */
async function ourClientStatus(servers) {
  const args = { shape: 'probe', servers, size: SMALL, keyCount: KEY_COUNT, multiKeys: MULTI_KEYS };
  try {
    const result = await runIsolated(caseFile(OURS), args, { env: caseEnv(OURS), timeoutMs: 30_000 });
    return result.failed ?? null;
  } catch (error) {
    return error.message;
  }
}

const started = new Date();
const driverRoot = fileURLToPath(new URL('../../packages/memcached-driver/', import.meta.url));
const distMtime = newestMtime(`${driverRoot}dist`);
if (FROM_SOURCE) console.log('> clonepool runs from packages/memcached-driver/src through tsx (BENCH_DRIVER=src).\n');
else if (distMtime && newestMtime(`${driverRoot}src`) > distMtime) {
  console.log('> warning: packages/memcached-driver/src is newer than its dist/; the bench runs dist/ (rebuild it).\n');
}

const main = await startMemcached();
const ring = await startMemcachedServers(RING_SERVERS, { memoryMb: 64 });
await seedBenchData(main.address, { sizes: [SMALL, LARGE], count: KEY_COUNT });
// Every ring server holds every key, so whichever server a client's hashing picks, the key is there.
for (const server of ring) await seedBenchData(server.address, { sizes: [SMALL], count: KEY_COUNT });

const ringAddresses = ring.map((s) => s.address);
const oursSingle = await ourClientStatus([main.address]);
const oursRing = oursSingle ?? (await ourClientStatus(ringAddresses));
if (oursSingle) console.log(`> ${OURS} is not measurable yet: ${oursSingle}\n`);
else if (oursRing) console.log(`> ${OURS} over ${RING_SERVERS} servers is not measurable yet: ${oursRing}\n`);

const base = { keyCount: KEY_COUNT, warmupMs: WARMUP_MS, durationMs: DURATION_MS };
const shapes = [
  {
    id: 'get-100B-c200',
    title: `get of 100-byte values, ${IN_FLIGHT} in flight`,
    clients: ['raw', 'raw-merged', OURS, UNMERGED, ...PEERS],
    args: { shape: 'get', size: SMALL, concurrency: IN_FLIGHT },
  },
  {
    id: 'get-10KiB-c200',
    title: `get of 10 KiB values, ${IN_FLIGHT} in flight`,
    clients: ['raw', 'raw-merged', OURS, ...PEERS],
    args: { shape: 'get', size: LARGE, concurrency: IN_FLIGHT },
  },
  {
    id: 'multi-100-c1',
    title: `multi-get of ${MULTI_KEYS} keys (100 B), 1 caller`,
    clients: [...ALL, 'pylibmc'],
    args: { shape: 'multi', size: SMALL, multiKeys: MULTI_KEYS, concurrency: 1 },
  },
  {
    id: `multi-100-c${MULTI_IN_FLIGHT}`,
    title: `multi-get of ${MULTI_KEYS} keys (100 B), ${MULTI_IN_FLIGHT} in flight`,
    clients: ALL,
    args: { shape: 'multi', size: SMALL, multiKeys: MULTI_KEYS, concurrency: MULTI_IN_FLIGHT },
  },
  {
    id: 'latency-100B',
    title: 'one-at-a-time get of 100-byte values (latency)',
    clients: ['raw', OURS, UNMERGED, ...PEERS, 'pylibmc'],
    args: { shape: 'latency', size: SMALL },
  },
  {
    id: `latency-100B-c${LATENCY_IN_FLIGHT}`,
    title: `get of 100-byte values, ${LATENCY_IN_FLIGHT} callers each timing its gets (latency), merged and not`,
    clients: [OURS, UNMERGED],
    args: { shape: 'latency', size: SMALL, concurrency: LATENCY_IN_FLIGHT },
  },
  {
    id: `multi-100-${RING_SERVERS}servers-c${MULTI_IN_FLIGHT}`,
    title: `multi-get of ${MULTI_KEYS} keys spread over ${RING_SERVERS} servers, ${MULTI_IN_FLIGHT} in flight`,
    clients: [OURS, 'memcached'],
    ring: true,
    args: { shape: 'multi', size: SMALL, multiKeys: MULTI_KEYS, concurrency: MULTI_IN_FLIGHT },
  },
  {
    id: `get-100B-${RING_SERVERS}servers-c${IN_FLIGHT}`,
    title: `get of 100-byte values over ${RING_SERVERS} servers, ${IN_FLIGHT} in flight (the raw ceilings: one socket per server)`,
    clients: ['raw', 'raw-merged', OURS, UNMERGED],
    ring: true,
    args: { shape: 'get', size: SMALL, concurrency: IN_FLIGHT },
  },
  {
    id: 'memory-1M',
    title: `memory of ${OURS} over ${rate(MEMORY_OPS)} gets (100 B, ${IN_FLIGHT} in flight)`,
    clients: [OURS],
    args: { shape: 'memory', size: SMALL, concurrency: IN_FLIGHT, warmupOps: 200_000, totalOps: MEMORY_OPS },
  },
];

/** Runs one case; resolves to its result, or to `{ failed }` with the reason. */
async function runCase(shape, client) {
  if (CLIENTS[client].file === OURS && (oursSingle || (shape.ring && oursRing)))
    return { failed: `not measurable: ${oursSingle ?? oursRing}` };
  const servers = shape.ring ? ringAddresses : [main.address];
  const args = { ...base, ...shape.args, ...CLIENTS[client].args, servers };
  const before = await getCounters(servers);
  try {
    const result = await runIsolated(caseFile(client), args, { env: caseEnv(client), timeoutMs: 180_000 });
    const after = await getCounters(servers);
    // The servers' own account: a case may not have caused a single miss.
    result.serverHits = after.hits - before.hits;
    result.serverMisses = after.misses - before.misses;
    result.serverHitsPerServer = after.perServer.map((s, i) => s.hits - before.perServer[i].hits);
    if (result.serverMisses > 0) return { ...result, failed: `the server counted ${result.serverMisses} misses` };
    // Fewer hits than values received means the client returned values the server never sent.
    // More is a client re-sending requests (memjs retries after its 0.5 s timeout): noted, not fatal.
    const expected = result.totalOps * (args.multiKeys ?? 1);
    if (result.serverHits < expected) {
      return { ...result, failed: `the server counted ${result.serverHits} hits for ${expected} values received` };
    }
    result.resentHits = result.serverHits - expected;
    return result;
  } catch (error) {
    return { failed: `${error.message} (its stderr is above)` };
  }
}

/** The least disturbed of a client's runs of a shape; any failed run fails the client. */
function best(shape, runs) {
  const failed = runs.find((r) => r.failed);
  if (failed) return failed;
  const score = shape.args.shape === 'latency' ? (r) => -r.p50Us : (r) => r.opsPerSec;
  const chosen = runs.reduce((a, b) => (score(b) > score(a) ? b : a));
  return {
    ...chosen,
    rounds: runs.map((r) => ({
      opsPerSec: r.opsPerSec,
      cpuUsPerOp: r.cpuUsPerOp,
      heapBytesPerOp: r.heapBytesPerOp,
      p50Us: r.p50Us,
      p99Us: r.p99Us,
    })),
  };
}

const results = {};
const loadBefore = os.loadavg();
try {
  for (const shape of shapes) {
    if (only && !only.test(shape.id)) continue;
    const runs = Object.fromEntries(shape.clients.map((client) => [client, []]));
    const rounds = shape.args.shape === 'memory' ? 1 : ROUNDS;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? shape.clients : [...shape.clients].reverse();
      for (const client of order) {
        process.stderr.write(`  ${shape.id} ${client} (round ${round + 1} of ${rounds})…\n`);
        runs[client].push(await runCase(shape, client));
      }
    }
    results[shape.id] = Object.fromEntries(shape.clients.map((client) => [client, best(shape, runs[client])]));
  }
} finally {
  await main.stop();
  for (const server of ring) await server.stop();
}
const loadAfter = os.loadavg();

// ---- tables ----

const fixed = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const times = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const ok = (r) => r && !r.failed;
const measured = (shapeId, client) => (ok(results[shapeId]?.[client]) ? results[shapeId][client] : undefined);

/** The best peer's result in a shape, by `score` (higher is better). */
function bestPeer(shapeId, score) {
  let best;
  for (const peer of PEERS) {
    const r = measured(shapeId, peer);
    if (r && (!best || score(r) > score(best.result))) best = { peer, result: r };
  }
  return best;
}

function throughputTable(shape) {
  const rows = [];
  const ours = measured(shape.id, OURS);
  const raw = measured(shape.id, 'raw');
  const multi = shape.args.shape === 'multi';
  for (const client of shape.clients) {
    const r = results[shape.id][client];
    if (!ok(r)) {
      rows.push({ client, [multi ? 'calls/s' : 'ops/s']: `FAILED: ${r.failed}` });
      continue;
    }
    const row = { client, [multi ? 'calls/s' : 'ops/s']: rate(r.opsPerSec) };
    if (multi) row['keys/s'] = rate(r.keysPerSec);
    row['CPU µs/call'] = fixed(r.cpuUsPerOp, 2);
    row['client CPU'] = `${Math.round(r.cpuUtilisation * 100)}%`;
    if (!multi) row['heap B/get'] = fixed(r.heapBytesPerOp, 0);
    if (raw) row['÷ raw'] = times(r.opsPerSec / raw.opsPerSec);
    row['ours ÷ this'] = ours ? times(ours.opsPerSec / r.opsPerSec) : '–';
    row['each round'] = r.rounds.map((x) => rate(x.opsPerSec)).join(' / ');
    if (shape.ring) row['hits per server'] = r.serverHitsPerServer.join(' / ');
    if (r.resentHits > 0) row.note = `${r.resentHits} requests re-sent (server hits > values received)`;
    rows.push(row);
  }
  printTable(normalise(rows));
  if (ours) {
    const memjs = measured(shape.id, 'memjs');
    const best = bestPeer(shape.id, (r) => r.opsPerSec);
    const parts = [];
    if (raw && shape.clients.includes('raw')) parts.push(`vs raw ceiling ${times(ours.opsPerSec / raw.opsPerSec)}`);
    const merged = measured(shape.id, 'raw-merged');
    if (merged) parts.push(`vs raw merged ceiling ${times(ours.opsPerSec / merged.opsPerSec)}`);
    if (memjs) parts.push(`vs memjs ${times(ours.opsPerSec / memjs.opsPerSec)}`);
    if (best) parts.push(`vs best Node peer (${best.peer}) ${times(ours.opsPerSec / best.result.opsPerSec)}`);
    console.log(`\nours: ${parts.join(', ')}`);
  }
}

function latencyTable(shape) {
  const rows = [];
  const ours = measured(shape.id, OURS);
  for (const client of shape.clients) {
    const r = results[shape.id][client];
    if (!ok(r)) {
      rows.push({ client, 'p50 µs': `FAILED: ${r.failed}` });
      continue;
    }
    rows.push({
      client,
      'p50 µs': fixed(r.p50Us),
      'p90 µs': fixed(r.p90Us),
      'p99 µs': fixed(r.p99Us),
      'mean µs': fixed(r.meanUs),
      'gets/s': rate(r.opsPerSec),
      'CPU µs/get': fixed(r.cpuUsPerOp, 2),
      'heap B/get': fixed(r.heapBytesPerOp, 0),
      'ours p50 ÷ this': ours ? times(ours.p50Us / r.p50Us) : '–',
      'ours p99 ÷ this': ours ? times(ours.p99Us / r.p99Us) : '–',
      'p50 / p99 each round': r.rounds.map((x) => `${fixed(x.p50Us)}/${fixed(x.p99Us)}`).join(' · '),
    });
  }
  printTable(normalise(rows));
}

function memoryTable(shape) {
  const r = results[shape.id][OURS];
  if (!ok(r)) {
    console.log(`${OURS}: FAILED: ${r.failed}`);
    return;
  }
  const mib = (n) => (n / 1024 / 1024).toFixed(1);
  printTable(
    r.points.map((p) => ({
      'gets after warm-up': rate(p.ops),
      'RSS MiB': mib(p.rss),
      'V8 heap resident MiB': mib(p.heapPhysical),
      'RSS outside heap MiB': mib(p.rss - p.heapPhysical),
      'heapUsed MiB': mib(p.heapUsed),
      'external MiB': mib(p.external),
      'arrayBuffers MiB': mib(p.arrayBuffers),
    })),
  );
  console.log(`\n${rate(r.opsPerSec)} gets/s during the run (full GC at each sample)`);
}

// printTable takes its columns from the first row; failed rows have fewer.
function normalise(rows) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? ''])));
}

for (const shape of shapes) {
  if (!results[shape.id]) continue;
  console.log(`\n### ${shape.title}\n`);
  if (shape.args.shape === 'latency') latencyTable(shape);
  else if (shape.args.shape === 'memory') memoryTable(shape);
  else throughputTable(shape);
}

// ---- targets (issues 5, 6 and 14) ----

const targets = [];
function target(name, compute) {
  let outcome;
  try {
    outcome = compute();
  } catch (error) {
    outcome = { status: 'NOT MEASURED', detail: error.message };
  }
  targets.push({ target: name, ...outcome });
}
function need(shapeId, client) {
  if (!results[shapeId]) throw new Error(`${shapeId} was not run`);
  const r = results[shapeId][client];
  if (!ok(r)) throw new Error(`${client}: ${r?.failed ?? 'no result'}`);
  return r;
}
const ratioTarget = (ratio, min, detail) => ({
  status: ratio >= min ? 'PASS' : 'MISS',
  measured: times(ratio),
  detail,
});
function needBestPeer(shapeId, score) {
  const best = bestPeer(shapeId, score);
  if (!best) throw new Error(`no peer measured in ${shapeId}`);
  for (const peer of PEERS) need(shapeId, peer);
  return best;
}

target('100 B gets, 200 in flight, one socket: ≥ 3× the raw per-key ceiling', () => {
  const ours = need('get-100B-c200', OURS);
  const raw = need('get-100B-c200', 'raw');
  return ratioTarget(
    ours.opsPerSec / raw.opsPerSec,
    3,
    `${rate(ours.opsPerSec)} vs ${rate(raw.opsPerSec)} gets/s (\`get k\` pipelined on a bare socket)`,
  );
});
target(`100 B gets, 200 in flight, one socket: vs the raw merged ceiling (aim ≥ 0.4×)`, () => {
  const ours = need('get-100B-c200', OURS);
  const merged = need('get-100B-c200', 'raw-merged');
  return ratioTarget(
    ours.opsPerSec / merged.opsPerSec,
    0.4,
    `${rate(ours.opsPerSec)} vs ${rate(merged.opsPerSec)} gets/s (\`get k1 … k${MERGE_KEYS}\` on a bare socket)`,
  );
});
target('100 B gets, 200 in flight: ≥ 1.15× memjs', () => {
  const ours = need('get-100B-c200', OURS);
  const memjs = need('get-100B-c200', 'memjs');
  return ratioTarget(
    ours.opsPerSec / memjs.opsPerSec,
    1.15,
    `${rate(ours.opsPerSec)} vs ${rate(memjs.opsPerSec)} ops/s`,
  );
});
target('10 KiB gets, 200 in flight: ≥ 1.30× memjs', () => {
  const ours = need('get-10KiB-c200', OURS);
  const memjs = need('get-10KiB-c200', 'memjs');
  return ratioTarget(
    ours.opsPerSec / memjs.opsPerSec,
    1.3,
    `${rate(ours.opsPerSec)} vs ${rate(memjs.opsPerSec)} ops/s`,
  );
});
for (const id of ['multi-100-c1', `multi-100-c${MULTI_IN_FLIGHT}`]) {
  target(`multi-get of 100 keys (${id.split('-').pop()}): ≥ 2.5× best Node peer`, () => {
    const ours = need(id, OURS);
    const best = needBestPeer(id, (r) => r.opsPerSec);
    return ratioTarget(
      ours.opsPerSec / best.result.opsPerSec,
      2.5,
      `${rate(ours.opsPerSec)} vs ${best.peer} ${rate(best.result.opsPerSec)} calls/s`,
    );
  });
}
for (const p of ['p50', 'p99']) {
  target(`one-at-a-time get ${p}: no worse than any peer`, () => {
    const key = `${p}Us`;
    const ours = need('latency-100B', OURS);
    const best = needBestPeer('latency-100B', (r) => -r[key]);
    return {
      status: ours[key] <= best.result[key] ? 'PASS' : 'MISS',
      measured: `${fixed(ours[key])} µs`,
      detail: `best peer ${best.peer} ${fixed(best.result[key])} µs (ours ÷ it ${times(ours[key] / best.result[key])})`,
    };
  });
}
target('client CPU µs per 100 B get (200 in flight): lowest of all clients', () => {
  const ours = need('get-100B-c200', OURS);
  const best = needBestPeer('get-100B-c200', (r) => -r.cpuUsPerOp);
  return {
    status: ours.cpuUsPerOp <= best.result.cpuUsPerOp ? 'PASS' : 'MISS',
    measured: `${fixed(ours.cpuUsPerOp, 2)} µs`,
    detail: `lowest peer ${best.peer} ${fixed(best.result.cpuUsPerOp, 2)} µs (ours ÷ it ${times(ours.cpuUsPerOp / best.result.cpuUsPerOp)})`,
  };
});
target(`memory flat over ${rate(MEMORY_OPS)} gets after warm-up`, () => {
  const r = need('memory-1M', OURS);
  const first = r.points[0];
  const last = r.points.at(-1);
  const heapGrowth = last.heapUsed - first.heapUsed;
  const native = (p) => p.rss - p.heapPhysical;
  const nativeGrowth = native(last) - native(first);
  const mib = (n) => `${n >= 0 ? '+' : ''}${(n / 1024 / 1024).toFixed(1)} MiB`;
  return {
    status: heapGrowth < FLAT_HEAP_BYTES && nativeGrowth < FLAT_NATIVE_BYTES ? 'PASS' : 'MISS',
    measured: `heapUsed ${mib(heapGrowth)}, RSS outside the heap ${mib(nativeGrowth)}`,
    detail: `flat = heapUsed growth < 1 MiB and growth of RSS outside the V8 heap < 8 MiB; RSS itself ${mib(last.rss - first.rss)}`,
  };
});
target(`multi-get of 100 keys over ${RING_SERVERS} servers: ≥ 2.5× memcached (3rd-Eden)`, () => {
  const id = `multi-100-${RING_SERVERS}servers-c${MULTI_IN_FLIGHT}`;
  const ours = need(id, OURS);
  const peer = need(id, 'memcached');
  return ratioTarget(
    ours.opsPerSec / peer.opsPerSec,
    2.5,
    `${rate(ours.opsPerSec)} vs ${rate(peer.opsPerSec)} calls/s`,
  );
});

target('10 KiB gets, 200 in flight: ≥ 2× the best Node peer', () => {
  const ours = need('get-10KiB-c200', OURS);
  const best = needBestPeer('get-10KiB-c200', (r) => r.opsPerSec);
  return ratioTarget(
    ours.opsPerSec / best.result.opsPerSec,
    2,
    `${rate(ours.opsPerSec)} vs ${best.peer} ${rate(best.result.opsPerSec)} gets/s`,
  );
});
target("multi-get of 100 keys, one caller: ≥ 1.5× pylibmc's get_multi", () => {
  const ours = need('multi-100-c1', OURS);
  const pylibmc = need('multi-100-c1', 'pylibmc');
  return ratioTarget(
    ours.keysPerSec / pylibmc.keysPerSec,
    1.5,
    `${rate(ours.keysPerSec)} vs ${rate(pylibmc.keysPerSec)} keys/s`,
  );
});
target('one caller, one get at a time: ≥ 0.9× a bare Node socket', () => {
  const ours = need('latency-100B', OURS);
  const raw = need('latency-100B', 'raw');
  const pylibmc = measured('latency-100B', 'pylibmc');
  return ratioTarget(
    ours.opsPerSec / raw.opsPerSec,
    0.9,
    `${rate(ours.opsPerSec)} vs ${rate(raw.opsPerSec)} gets/s; pylibmc ${pylibmc ? rate(pylibmc.opsPerSec) : 'not measured'}`,
  );
});
for (const [id, callers] of [
  ['latency-100B', 1],
  [`latency-100B-c${LATENCY_IN_FLIGHT}`, LATENCY_IN_FLIGHT],
]) {
  target(`${callers} in flight: p50 and p99 no worse than with merging off`, () => {
    const ours = need(id, OURS);
    const off = need(id, UNMERGED);
    return {
      status: ours.p50Us <= off.p50Us && ours.p99Us <= off.p99Us ? 'PASS' : 'MISS',
      measured: `p50 ${fixed(ours.p50Us)} µs, p99 ${fixed(ours.p99Us)} µs`,
      detail: `merging off: p50 ${fixed(off.p50Us)} µs, p99 ${fixed(off.p99Us)} µs`,
    };
  });
}
target('heap bytes allocated per 100 B get (200 in flight): lowest of all Node clients', () => {
  const ours = need('get-100B-c200', OURS);
  const best = needBestPeer('get-100B-c200', (r) => -r.heapBytesPerOp);
  return {
    status: ours.heapBytesPerOp <= best.result.heapBytesPerOp ? 'PASS' : 'MISS',
    measured: `${fixed(ours.heapBytesPerOp, 0)} B`,
    detail: `lowest peer ${best.peer} ${fixed(best.result.heapBytesPerOp, 0)} B (ours ÷ it ${times(ours.heapBytesPerOp / best.result.heapBytesPerOp)})`,
  };
});
target(`${RING_SERVERS} servers, 200 in flight: ≥ 2.5× the per-key ceiling of one socket per server`, () => {
  const id = `get-100B-${RING_SERVERS}servers-c${IN_FLIGHT}`;
  const ours = need(id, OURS);
  const raw = need(id, 'raw');
  return ratioTarget(ours.opsPerSec / raw.opsPerSec, 2.5, `${rate(ours.opsPerSec)} vs ${rate(raw.opsPerSec)} gets/s`);
});

console.log('\n### Targets (issues 5, 6 and 14), as ratios measured in this run\n');
printTable(
  normalise(targets.map((t) => ({ status: t.status, target: t.target, measured: t.measured, detail: t.detail }))),
);
console.log(
  `\n${os.cpus().length} cores shared by client and server; load average ${loadBefore.map((n) => n.toFixed(2)).join(' ')} before, ` +
    `${loadAfter.map((n) => n.toFixed(2)).join(' ')} after; warm-up ${WARMUP_MS} ms, measured ${DURATION_MS} ms per case, ` +
    `best of ${ROUNDS} rounds in alternating order.`,
);

// A partial run (BENCH_ONLY) must not overwrite the results of a full one.
if (only) console.log('\npartial run (BENCH_ONLY): bench/results/memcached.json left as it was');
else await writeResults();

async function writeResults() {
  const resultsDir = new URL('../results/', import.meta.url);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    new URL('memcached.json', resultsDir),
    `${JSON.stringify(
      {
        started: started.toISOString(),
        finished: new Date().toISOString(),
        commit: await gitCommit(),
        node: process.version,
        memcached: await memcachedVersion(),
        cpus: os.cpus().length,
        loadAverage: { before: loadBefore, after: loadAfter },
        settings: {
          driver: FROM_SOURCE ? 'src' : 'dist',
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          rounds: ROUNDS,
          keyCount: KEY_COUNT,
          memoryOps: MEMORY_OPS,
          mergeKeys: MERGE_KEYS,
        },
        targets,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nresults written to ${fileURLToPath(new URL('memcached.json', resultsDir))}`);
}
if (
  targets.some((t) => t.status === 'MISS') ||
  Object.values(results).some((s) => Object.values(s).some((r) => !ok(r)))
) {
  process.exitCode = 1;
}

async function gitCommit() {
  const { execFileSync } = await import('node:child_process');
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function memcachedVersion() {
  const { execFileSync } = await import('node:child_process');
  try {
    return execFileSync(process.env.MEMCACHED_BIN ?? '/usr/bin/memcached', ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
