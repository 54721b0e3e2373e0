// The figures the docs and READMEs quote, computed from the recorded bench
// results (bench/results/*.json), and the markers that hold them in Markdown.
//
// A page never types a measured figure: it writes a marker, and
// `node bench/charts.mjs` fills it from the results, next to the charts:
//
//   one caller <!-- bench:fifo.single.clientpool.vs.generic-pool -->2.62×<!-- /bench --> generic-pool
//
//   <!-- bench:fifo.table -->
//
//   | case | one caller (cycles/s) | …
//
//   <!-- /bench -->
//
// HTML comments are invisible on GitHub, on npm and on the site, so a page
// reads the same everywhere; the VitePress build fills the markers again from
// the results, and bench/test/figures.test.mjs fails when a committed page
// differs from what the results give, or quotes a figure outside a marker.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_LABELS, chartSpecs, describeBars, footerOf, GUTTER_MODES, rate, readRuns } from './charts.mjs';

/** `a ÷ b` as the suites print a ratio: `2.62×`. */
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const us = (v, digits = 1) => `${v.toFixed(digits)} µs`;
/** Microseconds as milliseconds: `4.7 ms`. */
const msOf = (v) => `${(v / 1000).toFixed(1)} ms`;
const ns = (v) => `${Math.round(v).toLocaleString('en')} ns`;
const whole = (v) => Math.round(v).toLocaleString('en');
const range = (values, format) => `${format(Math.min(...values))}–${format(Math.max(...values))}`;
const load = (run) => `${run.loadAverage.before[0].toFixed(2)} → ${run.loadAverage.after[0].toFixed(2)}`;

/** A Markdown table: a header row, then rows; `bold` rows (ours) are set in bold. */
function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(header.map(() => '---')),
    ...rows.map(({ cells, bold }) => line(bold ? cells.map((c) => (c === '—' ? c : `**${c}**`)) : cells)),
  ].join('\n');
}

/** What a table's figures come from, under it. */
const provenance = (run, file) => `_${footerOf(run, file)}; load average ${load(run)}._`;

/** The FIFO pool's cases: [slug, name in the results, label in tables]. */
const FIFO_CASES = [
  ['floor', 'bare floor', 'bare floor (array pop/push around an `await`)'],
  ['clientpool', 'ClientPool', 'ClientPool'],
  ['generic-pool', 'generic-pool', 'generic-pool 3'],
  ['tarn', 'tarn', 'tarn 3'],
];

/** `format(pick(r))`, or why there is no figure: the case failed, or is not in this run. */
function figureOf(r, pick, format) {
  if (r === undefined) return 'not in this run';
  if (r.failed) return `failed: ${r.failed}`;
  return format(pick(r));
}

function fifoFigures(run, file, add) {
  const { clients, callers } = run.settings;
  const result = Object.fromEntries(FIFO_CASES.map(([slug, name]) => [slug, run.results[name] ?? {}]));
  const ours = result.clientpool;
  for (const [slug] of FIFO_CASES) {
    const { single, contended, rounds = [] } = result[slug];
    add(
      `fifo.single.${slug}`,
      figureOf(single, (r) => r.opsPerSec, rate),
    );
    add(
      `fifo.contended.${slug}`,
      figureOf(contended, (r) => r.opsPerSec, rate),
    );
    add(
      `fifo.p99.${slug}`,
      figureOf(contended, (r) => r.p99WaitUs, msOf),
    );
    const contendedRounds = rounds.map((round) => round.contended).filter(Number.isFinite);
    add(`fifo.contended.${slug}.rounds`, contendedRounds.length > 0 ? range(contendedRounds, rate) : 'no rounds');
    if (slug === 'clientpool') continue;
    const versus = (mine, theirs, pick) =>
      mine?.failed || theirs?.failed || !mine || !theirs ? 'not measured' : ratio(pick(mine), pick(theirs));
    add(
      `fifo.single.clientpool.vs.${slug}`,
      versus(ours.single, single, (r) => r.opsPerSec),
    );
    add(
      `fifo.contended.clientpool.vs.${slug}`,
      versus(ours.contended, contended, (r) => r.opsPerSec),
    );
    add(
      `fifo.p99.clientpool.vs.${slug}`,
      versus(ours.contended, contended, (r) => r.p99WaitUs),
    );
  }
  add('fifo.load', load(run));
  add(
    'fifo.table',
    `${table(
      [
        'case',
        'one caller (cycles/s)',
        'bytes/cycle',
        `${whole(callers)} callers / ${whole(clients)} clients (cycles/s)`,
        'p99 wait',
        'max wait',
      ],
      FIFO_CASES.map(([slug, , label]) => {
        const { single, contended } = result[slug];
        return {
          bold: slug === 'clientpool',
          cells: [
            label,
            figureOf(single, (r) => r.opsPerSec, rate),
            figureOf(single, (r) => r.bytesPerCycle, whole),
            figureOf(contended, (r) => r.opsPerSec, rate),
            figureOf(contended, (r) => r.p99WaitUs, msOf),
            figureOf(
              contended,
              (r) => r.maxWaitUs / 1000,
              (v) => `${whole(v)} ms`,
            ),
          ],
        };
      }),
    )}\n\n${provenance(run, file)}`,
    true,
  );
}

/** The mapped-pool suite's cycle cases: [slug, name in the results, label in tables]. */
const MAPPED_CYCLES = [
  ['run-context', 'MappedPool, in a run() context', '`MappedPool`, in a `run()` context holding its client'],
  [
    'fifo-als',
    'ClientPool (FIFO), in an ALS context',
    '`ClientPool` (FIFO), 1 client, in an `AsyncLocalStorage` context',
  ],
  [
    'floor-als',
    'bare floor, in an ALS context',
    'bare floor (array pop/push around an `await`), in an `AsyncLocalStorage` context',
  ],
  ['root-context', 'MappedPool, root context (no ALS)', '`MappedPool`, root context (no `AsyncLocalStorage` entered)'],
  ['fifo', 'ClientPool (FIFO), 1 client (no ALS)', '`ClientPool` (FIFO), 1 client'],
  ['floor', 'bare floor (no ALS)', 'bare floor'],
];
const MAPPED_CONTEXTS = [
  [
    'first-reserve',
    'run() + first reserve (clone) + release + relinquish',
    '`run()` + first reserve (a synchronous clone) + release + relinquish',
  ],
  ['empty', 'run() with an empty body', '`run()` with an empty body'],
];

function mappedFigures(run, file, add) {
  const slugOf = Object.fromEntries(MAPPED_CYCLES.map(([slug, name]) => [name, slug]));
  for (const [slug, name] of MAPPED_CYCLES) add(`mapped.ns.${slug}`, ns(1e9 / run.results.cycles[name].opsPerSec));
  for (const [slug, name] of MAPPED_CONTEXTS) {
    add(`mapped.context.${slug}`, us(1e6 / run.results.contexts[name].opsPerSec));
  }
  // Each target compares a case with a baseline: the median of the paired per-round ratios, and their spread.
  for (const target of run.targets) {
    const name = `mapped.${slugOf[target.case]}.vs.${slugOf[target.baseline]}`;
    add(name, ratio(target.ratio, 1));
    add(`${name}.rounds`, `${range(target.ratios, (v) => v.toFixed(2))}×`);
  }
  add('mapped.floor-als.vs.floor', ratio(run.alsTax.ratio, 1));
  add('mapped.floor-als.vs.floor.rounds', `${range(run.alsTax.ratios, (v) => v.toFixed(2))}×`);
  add('mapped.target', `${run.settings.target}×`);
  add(
    'mapped.table',
    [
      table(
        ['reserve+release, back to back', 'ns/cycle', 'bytes/cycle'],
        MAPPED_CYCLES.map(([slug, name, label]) => {
          const r = run.results.cycles[name];
          return { cells: [label, whole(1e9 / r.opsPerSec), whole(r.bytesPerCycle)], bold: slug === 'run-context' };
        }),
      ),
      table(
        ['per context', 'ns/run', 'bytes/run'],
        MAPPED_CONTEXTS.map(([, name, label]) => {
          const r = run.results.contexts[name];
          return { cells: [label, whole(1e9 / r.opsPerSec), whole(r.bytesPerRun)] };
        }),
      ),
      provenance(run, file),
    ].join('\n\n'),
    true,
  );
}

/** The memcached suite's shapes: [slug, shape id]. */
const MEMCACHED_SHAPES = [
  ['get-100B', 'get-100B-c200'],
  ['get-10KiB', 'get-10KiB-c200'],
  ['multi-c1', 'multi-100-c1'],
  ['multi-c10', 'multi-100-c10'],
  ['multi-3servers', 'multi-100-3servers-c10'],
  ['get-3servers', 'get-100B-3servers-c200'],
  ['latency', 'latency-100B'],
];
const PEERS = ['memjs', 'memcached', 'memcache-client'];
const TABLE_CLIENTS = ['clonepool', ...PEERS, 'raw'];
/** The latency shapes where merged gets are compared with `mergeGets: false`: [slug, shape id]. */
const MERGING_SHAPES = [
  ['c1', 'latency-100B'],
  ['c10', 'latency-100B-c10'],
];

const sizeLabel = (bytes) => (bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);

function memcachedFigures(run, file, add) {
  const label = (client) => CLIENT_LABELS[client][0];
  for (const [slug, shape] of MEMCACHED_SHAPES) {
    const results = run.results[shape];
    // A shape an older recorded run did not have gives no figures (a page quoting one fails to fill).
    if (results === undefined) continue;
    const ours = results.clonepool;
    for (const [client, r] of Object.entries(results)) {
      add(`memcached.${slug}.${client}`, rate(r.opsPerSec));
      if (client !== 'clonepool') add(`memcached.${slug}.vs.${client}`, ratio(ours.opsPerSec, r.opsPerSec));
    }
    const peers = PEERS.filter((peer) => results[peer]);
    if (peers.length === 0) continue;
    const best = peers.reduce((a, b) => (results[b].opsPerSec > results[a].opsPerSec ? b : a));
    add(`memcached.${slug}.best-peer`, label(best));
    add(`memcached.${slug}.vs.best-peer`, ratio(ours.opsPerSec, results[best].opsPerSec));
  }

  const gets = run.results['get-100B-c200'];
  for (const [client, r] of Object.entries(gets)) {
    add(`memcached.cpu.${client}`, us(r.cpuUsPerOp, 2));
    add(`memcached.cpu-use.${client}`, `${(r.cpuUtilisation * 100).toFixed(0)}%`);
    if (r.heapBytesPerOp !== undefined) add(`memcached.heap.${client}`, `${whole(r.heapBytesPerOp)} B`);
  }
  const thriftiest = PEERS.reduce((a, b) => (gets[b].cpuUsPerOp < gets[a].cpuUsPerOp ? b : a));
  add('memcached.cpu.thriftiest-peer', label(thriftiest));
  add('memcached.cpu.thriftiest-peer.value', us(gets[thriftiest].cpuUsPerOp, 2));
  add('memcached.cpu.clonepool.vs.thriftiest-peer', ratio(gets.clonepool.cpuUsPerOp, gets[thriftiest].cpuUsPerOp));
  if (gets.clonepool.heapBytesPerOp !== undefined) {
    const leanest = PEERS.reduce((a, b) => (gets[b].heapBytesPerOp < gets[a].heapBytesPerOp ? b : a));
    add('memcached.heap.leanest-peer', label(leanest));
    add('memcached.heap.leanest-peer.value', `${whole(gets[leanest].heapBytesPerOp)} B`);
  }

  const latency = run.results['latency-100B'];
  for (const [client, r] of Object.entries(latency)) {
    add(`memcached.latency.p50.${client}`, us(r.p50Us));
    add(`memcached.latency.p99.${client}`, us(r.p99Us));
  }
  merging(run, file, add);
  bounds(run, file, add);
  const memory = run.targets.find((t) => t.target.startsWith('memory flat'));
  if (memory === undefined) throw new Error(`${file}: no memory target`);
  add('memcached.memory', memory.measured);
  add('memcached.memory-ops', whole(run.settings.memoryOps));
  add('memcached.load', load(run));

  const cell = (shape, client, format) => {
    const r = run.results[shape]?.[client];
    if (r === undefined) return '—';
    return r.failed ? `failed: ${r.failed}` : format(r);
  };
  const shapeLabel = (shape, what) => {
    const r = run.results[shape].clonepool;
    return `${what(r)}, ${r.concurrency === 1 ? '1 caller' : `${r.concurrency} in flight`}`;
  };
  add(
    'memcached.table',
    `${table(
      ['shape', ...TABLE_CLIENTS.map((c) => (c === 'clonepool' ? 'ours' : label(c)))],
      [
        [
          'get-100B-c200',
          (r) => `${sizeLabel(r.size)} gets`,
          (r) => `${rate(r.opsPerSec)}/s, ${us(r.cpuUsPerOp, 2)} CPU/get`,
        ],
        ['get-10KiB-c200', (r) => `${sizeLabel(r.size)} gets`, (r) => `${rate(r.opsPerSec)}/s`],
        ['multi-100-c1', (r) => `multi-get of ${r.multiKeys} keys`, (r) => `${rate(r.opsPerSec)} calls/s`],
        ['multi-100-c10', (r) => `multi-get of ${r.multiKeys} keys`, (r) => `${rate(r.opsPerSec)} calls/s`],
        [
          'multi-100-3servers-c10',
          (r) => `multi-get of ${r.multiKeys} keys over ${r.servers.length} servers`,
          (r) => `${rate(r.opsPerSec)} calls/s`,
        ],
      ]
        .map(([shape, what, format]) => ({
          cells: [shapeLabel(shape, what), ...TABLE_CLIENTS.map((client) => cell(shape, client, format))],
        }))
        .concat({
          cells: [
            'one get at a time, p50 / p99',
            ...TABLE_CLIENTS.map((client) =>
              cell('latency-100B', client, (r) => `${r.p50Us.toFixed(1)} / ${us(r.p99Us)}`),
            ),
          ],
        }),
    )}\n\n${provenance(run, file)}`,
    true,
  );
  add(
    'memcached.latency-table',
    table(
      ['client', 'p50', 'p99'],
      [...TABLE_CLIENTS.slice(-1), ...TABLE_CLIENTS.slice(0, -1)].map((client) => ({
        cells: [label(client), us(latency[client].p50Us), us(latency[client].p99Us)],
        bold: client === 'clonepool',
      })),
    ),
    true,
  );
}

/** The shapes measured against raw-socket ceilings: [shape id, label, unit]. */
const BOUNDED_SHAPES = [
  ['get-100B-c200', '100 B gets, 200 in flight, one server', 'gets'],
  ['get-10KiB-c200', '10 KiB gets, 200 in flight, one server', 'gets'],
  ['get-100B-3servers-c200', '100 B gets, 200 in flight, 3 servers (one raw socket each)', 'gets'],
  ['multi-100-c1', 'multi-get of 100 keys, 1 caller', 'keys'],
  ['multi-100-c10', 'multi-get of 100 keys, 10 in flight', 'keys'],
  ['latency-100B', 'one get at a time', 'gets'],
];

/** Ours next to the raw-socket ceilings of each shape that has them: how close each figure is to the physical limit. */
function bounds(run, file, add) {
  if (run.results['get-100B-c200']?.['raw-merged'] === undefined) return;
  const perSecond = (r, unit) => `${rate(unit === 'keys' ? r.keysPerSec : r.opsPerSec)} ${unit}/s`;
  const of = (r, unit) => (unit === 'keys' ? r.keysPerSec : r.opsPerSec);
  add(
    'memcached.bounds-table',
    `${table(
      ['shape', 'ours', 'raw ceiling (the same commands)', 'raw merged ceiling', 'ours ÷ raw', 'ours ÷ raw merged'],
      BOUNDED_SHAPES.filter(([shape]) => run.results[shape] !== undefined).map(([shape, what, unit]) => {
        const { clonepool: ours, raw, 'raw-merged': merged } = run.results[shape];
        const versus = (r) => (r === undefined || r.failed || ours.failed ? '—' : ratio(of(ours, unit), of(r, unit)));
        return {
          cells: [
            what,
            figureOf(
              ours,
              (r) => r,
              (r) => perSecond(r, unit),
            ),
            figureOf(
              raw,
              (r) => r,
              (r) => perSecond(r, unit),
            ),
            merged === undefined
              ? '—'
              : figureOf(
                  merged,
                  (r) => r,
                  (r) => perSecond(r, unit),
                ),
            versus(raw),
            versus(merged),
          ],
        };
      }),
    )}\n\n${provenance(run, file)}`,
    true,
  );
  const keysOf = run.results['multi-100-c1'];
  for (const [client, r] of Object.entries(keysOf))
    if (!r.failed) add(`memcached.multi-c1.keys.${client}`, rate(r.keysPerSec));
}

/** Merged gets against `mergeGets: false`, one and ten callers at a time: a table, when the run has them. */
function merging(run, file, add) {
  const shapes = MERGING_SHAPES.filter(([, shape]) => run.results[shape]?.['clonepool-unmerged'] !== undefined);
  if (shapes.length === 0) return;
  const latency = (r) => `${r.p50Us.toFixed(1)} / ${us(r.p99Us)}`;
  add(
    'memcached.merging-table',
    `${table(
      ['callers, each one get at a time', 'merged: p50 / p99', 'gets/s', '`mergeGets: false`: p50 / p99', 'gets/s'],
      shapes.map(([slug, shape]) => {
        const { clonepool: on, 'clonepool-unmerged': off } = run.results[shape];
        return {
          cells: [
            slug === 'c1' ? '1' : slug.slice(1),
            figureOf(on, (r) => r, latency),
            figureOf(on, (r) => r.opsPerSec, rate),
            figureOf(off, (r) => r, latency),
            figureOf(off, (r) => r.opsPerSec, rate),
          ],
        };
      }),
    )}\n\n${provenance(run, file)}`,
    true,
  );
}

function distributionFigures(run, _file, add) {
  const slowest = run.results.reduce((a, b) => (b.lookupsPerSec < a.lookupsPerSec ? b : a));
  add('distribution.slowest', `${slowest.kind}, ${slowest.servers} servers`);
  add('distribution.slowest.ns', ns(1e9 / slowest.lookupsPerSec));
}

const pct = (share, digits = 1) => `${(share * 100).toFixed(digits)}%`;
/** A change in load as the docs say it: `+39%`, `−2%`. */
const change = (ratio) => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(0)}%`;

function fleetFigures(run, file, add) {
  for (const r of run.results) {
    const name = `fleet.${r.kind}.${r.servers}`;
    add(`${name}.add`, pct(r.addMoved, 2));
    add(`${name}.add.vs.ideal`, ratio(r.addMoved, r.addIdeal));
    add(`${name}.remove`, pct(r.removeMoved, 2));
    add(`${name}.max-over-mean`, ratio(r.maxOverMean, 1));
  }
  add(
    'fleet.table',
    `${table(
      [
        'servers',
        'distribution',
        'moved when one is added',
        'ideal 1/(n+1)',
        'moved when one is removed',
        'ideal 1/n',
        'busiest ÷ mean',
      ],
      run.results.map((r) => ({
        cells: [
          whole(r.servers),
          `\`${r.kind}\``,
          pct(r.addMoved, 2),
          pct(r.addIdeal, 2),
          pct(r.removeMoved, 2),
          pct(r.removeIdeal, 2),
          ratio(r.maxOverMean, 1),
        ],
      })),
    )}\n\n${provenance(run, file)}`,
    true,
  );
}

function gutterFigures(run, file, add) {
  const { results } = run;
  const survivors = (mode) =>
    results[mode].perServer.filter((s) => s.role === 'survivor').map((s) => s.after / s.before);
  for (const mode of Object.keys(GUTTER_MODES)) {
    const after = results[mode].after;
    add(`gutter.${mode}.hit-ratio`, pct(after.hitRatio));
    add(`gutter.${mode}.failed`, pct(after.failed / after.gets, 2));
    const loads = survivors(mode);
    add(`gutter.${mode}.survivors`, `${change(Math.min(...loads))} to ${change(Math.max(...loads))}`);
  }
  const gutter = results.gutter.perServer;
  const killed = results.gutter.perServer.find((s) => s.role === 'killed');
  const spare = gutter.find((s) => s.role === 'gutter');
  add('gutter.spare.vs.killed', ratio(spare.after, killed.before));
  add('gutter.seconds', `${run.settings.phaseMs / 1000} s`);
  add(
    'gutter.table',
    `${table(
      [
        'failover',
        'hit ratio after the kill',
        'gets that failed',
        'each survivor’s requests/s, after ÷ before',
        'the gutter server’s requests/s ÷ the killed server’s before',
      ],
      Object.entries(GUTTER_MODES).map(([mode, [label, kind]]) => {
        const after = results[mode].after;
        const spareServer = results[mode].perServer.find((s) => s.role === 'gutter');
        const killedServer = results[mode].perServer.find((s) => s.role === 'killed');
        return {
          bold: kind === 'ours',
          cells: [
            label,
            pct(after.hitRatio),
            pct(after.failed / after.gets, 2),
            survivors(mode)
              .map((load) => ratio(load, 1))
              .join(', '),
            spareServer === undefined ? '—' : ratio(spareServer.after, killedServer.before),
          ],
        };
      }),
    )}\n\n_${footerOf(run, file)}; load average ${load(run)}; ${whole(run.settings.getsPerSec)} gets/s over ${whole(run.settings.keys)} keys, ${run.settings.phaseMs / 1000} s before and after the kill._`,
    true,
  );
}

/** The Keyv suite's shapes: [id in the results, label in tables]. */
const KEYV_SHAPES = [
  ['get-c200', '`get`, 200 in flight'],
  ['set-c200', '`set`, 200 in flight'],
  ['get-c1', '`get`, one at a time'],
  ['set-c1', '`set`, one at a time'],
];

function keyvFigures(run, file, add) {
  const ours = '@clonepool/keyv';
  const theirs = '@keyv/memcache';
  const opsOf = (r) => (r.p50Us === undefined ? rate(r.opsPerSec) : `${rate(r.opsPerSec)} (p50 ${us(r.p50Us, 0)})`);
  add(
    'keyv.table',
    `${table(
      ['shape', `${ours} ops/s`, 'CPU µs/op', `${theirs} ops/s`, 'CPU µs/op', 'ours ÷ theirs'],
      KEYV_SHAPES.map(([id, label]) => {
        const shape = run.results[id] ?? {};
        const a = shape[ours];
        const b = shape[theirs];
        return {
          cells: [
            label,
            figureOf(a, (r) => r, opsOf),
            figureOf(
              a,
              (r) => r.cpuUsPerOp,
              (v) => v.toFixed(1),
            ),
            figureOf(b, (r) => r, opsOf),
            figureOf(
              b,
              (r) => r.cpuUsPerOp,
              (v) => v.toFixed(1),
            ),
            a === undefined || b === undefined ? '—' : ratio(a.opsPerSec, b.opsPerSec),
          ],
        };
      }),
    )}\n\n${provenance(run, file)}`,
    true,
  );
  const spreads = Object.values(run.results).flatMap((shape) =>
    Object.values(shape).map((r) => Math.max(...r.rounds) / Math.min(...r.rounds)),
  );
  add('keyv.rounds.spread', `${Math.max(...spreads).toFixed(1)}×`);
  add('keyv.load.before', run.loadAverage.before[0].toFixed(0));
  add('keyv.load.after', run.loadAverage.after[0].toFixed(0));
}

/** The get-or-set suite's cases, in table order: [id in the results, label in tables]. */
const GET_OR_SET_CASES = [
  ['get-or-set', '`getOrSet`, grace 10 s'],
  ['get-or-set-no-grace', '`getOrSet`, no grace'],
  ['get-miss-set', '`get`, and on a miss the factory and `set`'],
  ['cache-manager', 'cache-manager 7 `wrap`, `refreshThreshold` 10 s, over Keyv and `@clonepool/keyv`'],
  ['bentocache', 'bentocache 1.6 `getOrSet`, grace 10 s, memory + Redis + Redis bus'],
  ['get-or-set-hit', '`getOrSet` of a key that never expires'],
  ['hit', '`get` of a key that never expires'],
];

function getOrSetFigures(run, file, add) {
  const { results, settings } = run;
  const msFixed = (v) => `${v.toFixed(1)} ms`;
  for (const [id] of GET_OR_SET_CASES) {
    const r = results[id];
    add(
      `get-or-set.runs.${id}`,
      figureOf(
        r,
        (x) => x.runsPerExpiry,
        (v) => (Number.isFinite(v) ? v.toFixed(2) : '—'),
      ),
    );
    add(
      `get-or-set.p99.${id}`,
      figureOf(r, (x) => x.p99Ms, msFixed),
    );
    add(
      `get-or-set.p99-after.${id}`,
      figureOf(
        r,
        (x) => x.p99AfterExpiryMs,
        (v) => (Number.isFinite(v) ? msFixed(v) : '—'),
      ),
    );
  }
  const ours = results['get-or-set'];
  const versus = (baseline) =>
    !ours || ours.failed || !baseline || baseline.failed
      ? 'not measured'
      : ratio(ours.p99AfterExpiryMs, baseline.p99Ms);
  add('get-or-set.after.vs.hit', versus(results.hit));
  add('get-or-set.after.vs.get-or-set-hit', versus(results['get-or-set-hit']));
  add('get-or-set.load', load(run));
  add(
    'get-or-set.table',
    `${table(
      [
        'how the hot keys are cached',
        'factory runs per key per expiry',
        'most runs in one expiry',
        'p99 in the 200 ms after an expiry',
        'p99 of every call',
        'calls/s',
      ],
      GET_OR_SET_CASES.map(([id, label]) => {
        const r = results[id];
        const expiring = r !== undefined && !r.failed && r.expiries > 0;
        return {
          bold: id.startsWith('get-or-set') && id !== 'get-or-set-hit',
          cells: [
            label,
            expiring ? r.runsPerExpiry.toFixed(2) : figureOf(r, () => '—', String),
            expiring ? whole(r.maxRunsPerExpiry) : '—',
            expiring ? msFixed(r.p99AfterExpiryMs) : '—',
            figureOf(r, (x) => x.p99Ms, msFixed),
            figureOf(r, (x) => x.callsPerSec, rate),
          ],
        };
      }),
    )}\n\n_${whole(settings.processes)} processes × ${whole(settings.concurrency)} callers in a closed loop over ${whole(settings.keyCount)} hot keys fresh for ${settings.ttlSeconds} s, factory ${settings.factoryMs} ms; ${footerOf(run, file)}; load average ${load(run)}._`,
    true,
  );
}

/** The OpenTelemetry suite's shapes and clients: [id in the results, label in tables]. */
const OTEL_SHAPES = [
  ['get-c200-sampled', 'every request sampled'],
  ['get-c200-unsampled', 'no request sampled'],
];
const OTEL_CLIENTS = [
  ['@clonepool/memcached', 'ours', '`@clonepool/memcached` + `@clonepool/opentelemetry`'],
  ['memcached', 'theirs', '`memcached` + `@opentelemetry/instrumentation-memcached`'],
];

function opentelemetryFigures(run, file, add) {
  const lost = (r) => `${((1 - r.throughputRatio) * 100).toFixed(0)}%`;
  const added = (r) => r.on.cpuUsPerOp - r.off.cpuUsPerOp;
  const rows = [];
  for (const [shape, shapeLabel] of OTEL_SHAPES) {
    const slug = shape.replace('get-c200-', '');
    for (const [name, who, label] of OTEL_CLIENTS) {
      const r = run.results[shape]?.[name];
      const ok = r !== undefined && !r.failed;
      add(`otel.${slug}.${who}.lost`, ok ? lost(r) : 'not measured');
      add(`otel.${slug}.${who}.cpu-ratio`, ok ? `×${r.cpuRatio.toFixed(2)}` : 'not measured');
      add(`otel.${slug}.${who}.added`, ok ? us(added(r), 1) : 'not measured');
      add(`otel.${slug}.${who}.cpu-off`, ok ? us(r.off.cpuUsPerOp, 1) : 'not measured');
      add(`otel.${slug}.${who}.cpu-on`, ok ? us(r.on.cpuUsPerOp, 1) : 'not measured');
      rows.push({
        bold: who === 'ours',
        cells: [
          shapeLabel,
          label,
          figureOf(r, (x) => x.off.opsPerSec, rate),
          figureOf(r, (x) => x.on.opsPerSec, rate),
          figureOf(r, (x) => x, lost),
          figureOf(
            r,
            (x) => x,
            (x) => `${x.off.cpuUsPerOp.toFixed(1)} → ${x.on.cpuUsPerOp.toFixed(1)}`,
          ),
          figureOf(r, added, (v) => v.toFixed(1)),
        ],
      });
    }
  }
  add(
    'otel.table',
    `${table(
      [
        'requests',
        'client + instrumentation',
        'gets/s untraced',
        'gets/s traced',
        'throughput lost',
        'CPU µs/get untraced → traced',
        'µs added',
      ],
      rows,
    )}\n\n${provenance(run, file)}`,
    true,
  );
  add('otel.load', load(run));
}

const SUITES = {
  'get-or-set': ['getOrSet', getOrSetFigures],
  keyv: ['Keyv store', keyvFigures],
  opentelemetry: ['OpenTelemetry', opentelemetryFigures],
  'fifo-pool': ['FIFO pool', fifoFigures],
  'mapped-pool': ['mapped pool', mappedFigures],
  memcached: ['memcached', memcachedFigures],
  distribution: ['distribution', distributionFigures],
  fleet: ['fleet', fleetFigures],
  gutter: ['gutter pool', gutterFigures],
};

/** "all 10 targets passed", or "9 of 10 targets passed (missed: …)". */
function targetSummary(targets) {
  const missed = targets.filter((t) => t.status !== 'PASS');
  if (missed.length === 0) return `all ${targets.length} targets passed`;
  return `${targets.length - missed.length} of ${targets.length} targets passed (missed: ${missed
    .map((t) => `${t.target}, ${t.status === 'MISS' ? t.measured : t.status.toLowerCase()}`)
    .join('; ')})`;
}

/**
 * Every figure the recorded runs give, by name: `{ text, block }`, where a
 * block (a table, a chart) stands on lines of its own. `runs` maps results
 * file names to their parsed JSON, as `readRuns` in charts.mjs returns them;
 * suites without a results file give no figures.
 * @returns {Map<string, { text: string, block: boolean }>}
 */
export function benchFigures(runs) {
  const figures = new Map();
  const add = (name, text, block = false) => {
    if (figures.has(name)) throw new Error(`two bench figures named ${name}`);
    figures.set(name, { text, block });
  };
  const allTargets = [];
  const recorded = [];
  for (const [file, run] of Object.entries(runs)) {
    const suite = SUITES[file.replace(/\.json$/, '')];
    if (suite === undefined) continue;
    const [part, figuresOf] = suite;
    figuresOf(run, file, add);
    const targets = run.targets ?? [];
    if (targets.length > 0) add(`${file.replace(/\.json$/, '')}.targets.summary`, targetSummary(targets));
    allTargets.push(...targets.map((t) => ({ part, ...t })));
    recorded.push([file, run]);
  }

  add(
    'targets.table',
    table(
      ['part', 'target', 'measured', 'detail', 'status'],
      allTargets.map((t) => ({
        cells: [t.part, t.target, t.measured ?? '—', t.detail ?? '', t.status === 'PASS' ? 'PASS' : `**${t.status}**`],
      })),
    ),
    true,
  );
  add('targets.summary', targetSummary(allTargets));
  const day = (run) =>
    new Date(run.started).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    });
  add('runs.dates', [...new Set(recorded.map(([, run]) => day(run)))].join(', '));
  add(
    'runs.table',
    table(
      ['results file', 'recorded (UTC)', 'code at', 'Node', 'load average (1 min) before → after'],
      recorded.map(([file, run]) => ({
        cells: [
          `\`bench/results/${file}\``,
          `${day(run)}, ${run.started.slice(11, 16)}`,
          run.commit ? `\`${run.commit}\`` : 'not recorded',
          run.node,
          load(run),
        ],
      })),
    ),
    true,
  );

  for (const chart of chartSpecs(runs)) {
    const alt = `Bar chart: ${chart.title}. ${chart.subtitle}. ${describeBars(chart)}.`;
    add(`chart:${chart.id}`, `![${alt.replace(/[[\]]/g, '')}](/bench/${chart.id}.svg)`, true);
  }
  return figures;
}

/** The figures of the results files in `resultsDir` (bench/results by default), as {@link benchFigures} gives them. */
export async function recordedFigures(resultsDir = fileURLToPath(new URL('./results/', import.meta.url))) {
  return benchFigures(await readRuns(resultsDir));
}

// A marker written as inline code (`<!-- bench:name -->`) is prose about markers, not one.
const MARKER = /(?<!`)<!-- bench:([\w.:-]+) -->([\s\S]*?)<!-- \/bench -->/g;
const OPENING = /(?<!`)<!-- bench:/g;

/**
 * Fills every marker of a Markdown text with its figure. Throws for a marker
 * that names no figure or is never closed, so a typo cannot leave a stale
 * figure standing.
 * @param {string} text
 * @param {Map<string, { text: string, block: boolean }>} figures from {@link benchFigures}
 * @param {string} where the text's file, for messages
 */
export function fillFigures(text, figures, where) {
  const opened = text.match(OPENING)?.length ?? 0;
  let closed = 0;
  const filled = text.replace(MARKER, (_, name) => {
    closed++;
    const figure = figures.get(name);
    if (figure === undefined) throw new Error(`${where}: no bench figure named "${name}"`);
    return `<!-- bench:${name} -->${figure.block ? `\n\n${figure.text}\n\n` : figure.text}<!-- /bench -->`;
  });
  if (closed !== opened) throw new Error(`${where}: a <!-- bench:… --> marker without its <!-- /bench -->`);
  return filled;
}

/**
 * What looks like a measured figure: a ratio (`2.6×`, `2.6x`), a rate (`193.1k`,
 * `3.31M`, `150 gets/s`), a time in µs or ns, or a time in ms with decimals
 * (a measured wait; whole milliseconds are settings such as `timeoutMs`).
 */
const MEASURED =
  /\d(?:[\d,.]*\d)?\s?×|\b\d+(?:\.\d+)?x\b|\b\d+(?:\.\d+)?\s?[kM]\b|\b\d[\d,.]*\s?(?:ops|gets|calls|cycles|lookups|keys)\/s\b|\b\d[\d,.]*\s?(?:µs|μs|ns)\b|\b\d+\.\d+\s?ms\b/g;

/**
 * The measured-looking figures of a Markdown text that no marker generates:
 * `[{ line, figure, text }]`. Generated spans are left out, and so are
 * ` ```ts ` fences, which are doctests (their output is checked by running
 * them), and inline code, which names things (`memory-1M`, `get-100B-c200`).
 */
export function handTypedFigures(text) {
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  const visible = text
    .replace(MARKER, (m) => blank(m))
    .replace(/^([ \t]*)(`{3,})(?:ts|typescript)\b[^\n]*\n[\s\S]*?^\1\2[ \t]*$/gm, (m) => blank(m))
    .replace(/(?<!`)`[^`\n]+`(?!`)/g, (m) => blank(m));
  const found = [];
  const lines = visible.split('\n');
  lines.forEach((line, i) => {
    for (const match of line.matchAll(MEASURED)) {
      found.push({ line: i + 1, figure: match[0], text: text.split('\n')[i].trim() });
    }
  });
  return found;
}

/**
 * The pages that may quote bench figures: every Markdown page of the site
 * (`docs/`, without the generated API reference) and every README.
 */
export function figurePages(root) {
  const pages = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!['node_modules', 'api', '.vitepress', '.doctest', 'public'].includes(name)) walk(path);
      } else if (name.endsWith('.md')) pages.push(path);
    }
  };
  walk(join(root, 'docs'));
  const readme = (dir) => join(dir, 'README.md');
  const folders = (dir) =>
    readdirSync(join(root, dir))
      .sort()
      .map((name) => join(root, dir, name));
  for (const path of [
    readme(root),
    readme(join(root, 'bench')),
    ...folders('packages').map(readme),
    ...folders('examples').map(readme),
  ]) {
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) pages.push(path);
  }
  return pages.map((path) => ({ path, name: relative(root, path), text: readFileSync(path, 'utf8') }));
}
