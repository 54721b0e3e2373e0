// Fleets larger than any test machine: the driver's real distribution code
// placing keys over 10, 100 and 1,000 simulated servers. For modula, ketama
// and weighted ketama it reports
//   - the share of keys that move when one server is added (n → n+1) and when
//     one is removed (n → n−1), against the ideal 1/(n+1) and 1/n: only the
//     keys the new server takes, or the removed server held, need to move;
//   - the load imbalance, max/mean keys per server (1.00 is perfectly even).
// No server is started: placement is a pure function of the server list.
// Recorded in bench/results/fleet.json (drawn on the scaling-out page).
import os from 'node:os';
import { printTable } from '../lib/harness.mjs';
import { writeResults } from '../lib/results.mjs';

const from = process.env.BENCH_DISTRIBUTION_FROM ?? '@clonepool/memcached';
let createDistribution;
try {
  ({ createDistribution } = await import(from));
} catch (error) {
  console.log(
    `fleet: not measured: ${from} is not importable (${error.code ?? error.message}); build packages/memcached-driver first`,
  );
  process.exit(0);
}

const FLEETS = [10, 100, 1000];
const KINDS = ['modula', 'ketama', 'ketama-weighted'];
/** Keys per server on average: enough that sampling noise stays well under the imbalance being measured. */
const KEYS_PER_SERVER = Number(process.env.BENCH_FLEET_KEYS_PER_SERVER ?? 2000);
/** Servers added or removed, one at a time, each measured against the fleet before it; the figures are their mean. */
const TRIALS = 5;

const started = new Date();
const loadBefore = os.loadavg();
const encoder = new TextEncoder();
const server = (i) => ({ host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 11211, weight: 1 });

/** The owner of every key, as indexes into `servers`, mapped to server ids so two fleets compare by identity. */
function place(servers, kind, keys) {
  const distribution = createDistribution(servers, kind);
  const owners = new Array(keys.length);
  for (let k = 0; k < keys.length; k++) owners[k] = servers[distribution.serverFor(keys[k])].host;
  return owners;
}

function movedShare(before, after) {
  let moved = 0;
  for (let k = 0; k < before.length; k++) if (before[k] !== after[k]) moved++;
  return moved / before.length;
}

function imbalance(owners, servers) {
  const counts = new Map(servers.map((s) => [s.host, 0]));
  for (const owner of owners) counts.set(owner, counts.get(owner) + 1);
  const values = [...counts.values()];
  const mean = owners.length / servers.length;
  return { max: Math.max(...values) / mean, min: Math.min(...values) / mean };
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const results = [];
const rows = [];
for (const n of FLEETS) {
  const keys = Array.from({ length: n * KEYS_PER_SERVER }, (_, i) => encoder.encode(`user:${i}:profile`));
  const fleet = Array.from({ length: n }, (_, i) => server(i));
  for (const kind of KINDS) {
    const t0 = performance.now();
    const base = place(fleet, kind, keys);
    const added = [];
    const removed = [];
    for (let t = 0; t < TRIALS; t++) {
      added.push(movedShare(base, place([...fleet, server(n + t)], kind, keys)));
      // Remove servers spread over the list (the first, the last, and between): modula is sensitive to the position.
      const gone = Math.floor(((t + 0.5) * n) / TRIALS);
      removed.push(
        movedShare(
          base,
          place(
            fleet.filter((_, i) => i !== gone),
            kind,
            keys,
          ),
        ),
      );
    }
    const spread = imbalance(base, fleet);
    const result = {
      servers: n,
      kind,
      keys: keys.length,
      addMoved: mean(added),
      addIdeal: 1 / (n + 1),
      removeMoved: mean(removed),
      removeIdeal: 1 / n,
      maxOverMean: spread.max,
      minOverMean: spread.min,
      seconds: (performance.now() - t0) / 1000,
    };
    results.push(result);
    rows.push({
      servers: n,
      distribution: kind,
      'moved on add': pct(result.addMoved),
      'ideal 1/(n+1)': pct(result.addIdeal),
      'moved on remove': pct(result.removeMoved),
      'ideal 1/n': pct(result.removeIdeal),
      'max/mean': result.maxOverMean.toFixed(2),
      'min/mean': result.minOverMean.toFixed(2),
    });
  }
}
printTable(rows);

if (!process.env.BENCH_DISTRIBUTION_FROM) {
  await writeResults('fleet', {
    started,
    loadBefore,
    settings: { fleets: FLEETS, kinds: KINDS, keysPerServer: KEYS_PER_SERVER, trials: TRIALS },
    targets: [],
    results,
  });
}

function pct(share) {
  return `${(share * 100).toFixed(share < 0.01 ? 2 : 1)}%`;
}
