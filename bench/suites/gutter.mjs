// A gutter pool against plain removeFailed, side by side in one run, with failover
// off as the baseline. Each mode gets a fresh fleet of 4 memcached servers (and,
// for the gutter, a fifth as the gutter server) under the same steady open-loop
// load: gets of random keys at a fixed rate, each miss filled with a set, as a
// cache-aside application does. Midway one server is killed. removeFailed and the
// gutter eject it after one failure (removeFailed: 1) and leave it off for the
// rest of the run; with failover off its keys fail until it is back.
//
// For each mode it reports:
//   - the hit ratio of the gets in the seconds after the kill (a failed get counts
//     as a miss), and how many gets failed;
//   - the load each surviving server takes, from the servers' own counters:
//     requests per second (cmd_get + cmd_set) after the kill ÷ before;
//   - the load on the gutter server after the kill, against the dead server's before.
//
// The load is open-loop (a fixed rate, whatever the answers), so a server's
// requests per second are what the application sends it, not what the client
// process manages. Recorded in bench/results/gutter.json.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { printTable } from '../lib/harness.mjs';
import { startMemcachedServers, stats } from '../lib/memcached-server.mjs';
import { writeResults } from '../lib/results.mjs';

let Client;
try {
  ({ Client } = await import('@clonepool/memcached'));
} catch (error) {
  console.log(
    `gutter: not measured: @clonepool/memcached is not importable (${error.code ?? error.message}); build it first`,
  );
  process.exit(0);
}

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
/** Gets per second the application sends, whatever the answers. */
const RATE = env('BENCH_GUTTER_RATE', 4_000);
/** How long each phase (before the kill, after it) is measured. */
const PHASE_MS = env('BENCH_DURATION_MS', 5_000);
const WARMUP_MS = env('BENCH_WARMUP_MS', 1_000);
const KEY_COUNT = 10_000;
const SERVERS = 4;
const GUTTER_TTL = 30;
const TICK_MS = 10;
const MODES = ['off', 'removeFailed', 'gutter'];

const started = new Date();
const loadBefore = os.loadavg();
const keys = Array.from({ length: KEY_COUNT }, (_, i) => `user:${i}:profile`);
const value = 'v'.repeat(100);

/**
 * Gets at RATE per second, issued every TICK_MS for the time elapsed (a late tick catches up, so
 * the rate holds on a busy machine); a miss is filled with a set. Every answer is counted in the
 * phase its get was issued in.
 */
function openLoop(client) {
  const phases = [];
  const load = {
    phase: -1,
    next() {
      phases.push({ gets: 0, hits: 0, failed: 0 });
      load.phase++;
    },
    counts: (i) => ({ ...phases[i], hitRatio: phases[i].hits / phases[i].gets }),
  };
  load.next();
  const get = (key, counts) =>
    client.get(key).then(
      (got) => {
        if (got === undefined) return client.set(key, value).catch(() => {});
        counts.hits++;
      },
      () => {
        counts.failed++;
      },
    );
  const start = performance.now();
  let issued = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * RATE) / 1000);
    const counts = phases[load.phase];
    for (; issued < due; issued++) {
      counts.gets++;
      get(keys[Math.floor(Math.random() * keys.length)], counts);
    }
  }, TICK_MS);
  load.stop = () => clearInterval(timer);
  return load;
}

/** Each server's cmd_get + cmd_set, or undefined for a server that is gone. */
async function requestsOf(servers) {
  return Promise.all(
    servers.map((server) =>
      stats(server.address).then(
        (s) => Number(s.cmd_get) + Number(s.cmd_set),
        () => undefined,
      ),
    ),
  );
}

async function run(mode) {
  const servers = await startMemcachedServers(SERVERS + (mode === 'gutter' ? 1 : 0), { threads: 1, memoryMb: 64 });
  const main = servers.slice(0, SERVERS);
  const gutter = servers[SERVERS];
  const victim = 1;
  const client = new Client(
    main.map((server) => server.address),
    {
      distribution: 'ketama',
      removeFailed: mode === 'off' ? 0 : 1,
      retryTimeoutMs: mode === 'off' ? 1_000 : 600_000,
      ...(gutter === undefined ? {} : { gutter: { servers: [gutter.address], ttl: GUTTER_TTL } }),
    },
  );
  // Failures are counted from the answers; the events are not the measure.
  client.on('error', () => {});
  try {
    for (let i = 0; i < keys.length; i += 1000) {
      const notStored = await client.setMulti(keys.slice(i, i + 1000).map((key) => [key, value]));
      if (notStored.length > 0) throw new Error(`seeding: ${notStored.length} keys not stored`);
    }
    const load = openLoop(client);
    await sleep(WARMUP_MS);
    // Each phase's requests per second are divided by its own length: the kill itself takes a moment.
    const marks = [];
    const mark = async () => {
      load.next();
      marks.push({ at: performance.now(), requests: await requestsOf(servers) });
    };
    await mark();
    await sleep(PHASE_MS);
    await mark();
    await main[victim].stop();
    await sleep(PHASE_MS);
    await mark();
    load.stop();
    await sleep(200); // let the last answers come in
    const rate = (from, i) => {
      const [a, b] = [marks[from], marks[from + 1]];
      if (a.requests[i] === undefined || b.requests[i] === undefined) return undefined;
      return (b.requests[i] - a.requests[i]) / ((b.at - a.at) / 1000);
    };
    const perServer = servers.map((_, i) => ({
      role: i === SERVERS ? 'gutter' : i === victim ? 'killed' : 'survivor',
      before: rate(0, i),
      after: rate(1, i),
    }));
    return { mode, before: load.counts(1), after: load.counts(2), perServer };
  } finally {
    await client.close();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const results = {};
for (const mode of MODES) results[mode] = await run(mode);

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const times = (x) => `${x.toFixed(2)}×`;
const rows = MODES.map((mode) => {
  const { before, after, perServer } = results[mode];
  const survivors = perServer.filter((s) => s.role === 'survivor').map((s) => times(s.after / s.before));
  const killed = perServer.find((s) => s.role === 'killed');
  const gutter = perServer.find((s) => s.role === 'gutter');
  return {
    mode,
    'hit ratio before': pct(before.hitRatio),
    'hit ratio after the kill': pct(after.hitRatio),
    'failed gets': after.failed,
    'each survivor: req/s after ÷ before': survivors.join(' '),
    'gutter server req/s ÷ killed server before': gutter ? times(gutter.after / killed.before) : '—',
  };
});
printTable(rows);

if (!process.env.BENCH_ONLY) {
  await writeResults('gutter', {
    started,
    loadBefore,
    settings: {
      servers: SERVERS,
      keys: KEY_COUNT,
      getsPerSec: RATE,
      phaseMs: PHASE_MS,
      warmupMs: WARMUP_MS,
      removeFailed: 1,
      gutterTtl: GUTTER_TTL,
    },
    targets: [],
    results,
  });
}
