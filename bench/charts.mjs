// Draws the recorded bench results (bench/results/*.json) as SVG bar charts for
// the docs (docs/public/bench/*.svg). No dependencies: each chart is a string
// of SVG built here, self-contained and readable with or without CSS.
//
//   node bench/charts.mjs                      # bench/results → docs/public/bench, and the figures in the docs
//   node bench/charts.mjs <results-dir> <out-dir>
//
// It also fills the <!-- bench:… --> markers of every docs page and README
// with the figures the same results give (figures.mjs).
//
// The docs embed the charts as <img>, and an <img> does not inherit the page's
// colours: `currentColor` inside it is the SVG's own `color`. So every chart
// carries its own card background and text colour as a pair, switched by
// prefers-color-scheme inside the SVG. Text and card always match each other,
// so a chart stays legible even when the reader has toggled the site's theme
// against the system's.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WIDTH = 720;
const ROW = 30;
const BAR = 18;
const TOP = 78;
const PAD = 20;
const FONT = 13;
/** A safe over-estimate of a character's width in the chart's sans-serif at FONT px, to size the label column. */
const CHAR_WIDTH = FONT * 0.62;

/**
 * Each kind of bar has a fill for light and one for dark cards; the attributes
 * carry the light ones for renderers without CSS. Ours takes the logo's accent.
 */
const PALETTE = {
  ours: { light: '#c4553a', dark: '#ee957a' },
  peer: { light: '#6b7689', dark: '#98a2b3' },
  reference: { light: '#2f6f8f', dark: '#7cbad6' },
};
const CARD = { light: { bg: '#f6f6f7', text: '#2c2c32' }, dark: { bg: '#202127', text: '#e3e3dc' } };

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

/** 1.23M, 456.7k, 12.3k, 789: the bench tables' way of writing a rate. */
export function rate(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)}k`;
  return n.toFixed(0);
}

/** An axis tick: 2M, 2.5M, 500k, 250. */
export function tickRate(n) {
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(2))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
  return String(Number(n.toFixed(2)));
}

/** A step of 1, 2, 2.5 or 5 × 10^k giving about `target` ticks up to `max`. */
function niceStep(max, target = 5) {
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10;
  return step * power;
}

/**
 * One horizontal bar chart as an SVG string.
 * @param {object} chart
 * @param {string} chart.id       unique among the charts: the file name and the prefix of the SVG's ids
 * @param {string} chart.title
 * @param {string} chart.subtitle what is measured, and whether higher or lower is better
 * @param {string} chart.axis     the x axis label, with its unit
 * @param {(n: number) => string} chart.format  a value as its label, with its unit
 * @param {{ label: string, value?: number, kind: 'ours'|'peer'|'reference', failed?: string }[]} chart.bars
 * @param {string} chart.footer   where the figures come from: run date, machine, results file
 */
export function barChart({ id, title, subtitle, axis, format, bars, footer }) {
  const values = bars.filter((b) => Number.isFinite(b.value)).map((b) => b.value);
  const max = Math.max(0, ...values);
  const step = max > 0 ? niceStep(max) : 1;
  const top = Math.max(step, Math.ceil(max / step) * step);
  // Ours is set in bold, which runs about a tenth wider.
  const textWidth = (b) => b.label.length * CHAR_WIDTH * (b.kind === 'ours' ? 1.12 : 1);
  const labelWidth = Math.max(120, Math.ceil(Math.max(...bars.map(textWidth))));
  const x0 = PAD + labelWidth + 12;
  // Room right of the longest possible bar for its value label.
  const valueRoom = 12 + Math.max(0, ...values.map((v) => format(v).length)) * CHAR_WIDTH * 1.12;
  const plotWidth = WIDTH - x0 - valueRoom;
  const scale = (v) => (v / top) * plotWidth;
  const plotBottom = TOP + bars.length * ROW;
  const height = plotBottom + 76;
  const n = (v) => Number(v.toFixed(1));

  const describe = describeBars({ bars, format });
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif" font-size="${FONT}">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(`${subtitle}. ${describe}. ${footer}.`)}</desc>`,
    '<style>',
    `svg{color:${CARD.light.text}}.card{fill:${CARD.light.bg}}`,
    ...Object.entries(PALETTE).map(([kind, c]) => `.${kind}{fill:${c.light};stroke:${c.light}}`),
    '@media (prefers-color-scheme:dark){',
    `svg{color:${CARD.dark.text}}.card{fill:${CARD.dark.bg}}`,
    ...Object.entries(PALETTE).map(([kind, c]) => `.${kind}{fill:${c.dark};stroke:${c.dark}}`),
    '}',
    '</style>',
    `<rect class="card" width="${WIDTH}" height="${height}" rx="10" fill="${CARD.light.bg}"/>`,
    `<g fill="currentColor">`,
    `<text x="${PAD}" y="30" font-size="17" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${PAD}" y="52" opacity="0.85">${escapeXml(subtitle)}</text>`,
  );

  // Grid lines and tick labels.
  for (let i = 0; i * step <= top + step / 2; i++) {
    const v = i * step;
    const x = n(x0 + scale(v));
    out.push(
      `<line x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${plotBottom}" stroke="currentColor" stroke-opacity="${v === 0 ? 0.6 : 0.15}"/>`,
      `<text x="${x}" y="${plotBottom + 18}" text-anchor="middle" font-size="12" opacity="0.85">${escapeXml(tickRate(v))}</text>`,
    );
  }
  out.push(`<text x="${n(x0 + plotWidth / 2)}" y="${plotBottom + 40}" text-anchor="middle">${escapeXml(axis)}</text>`);

  bars.forEach((bar, i) => {
    const y = TOP + i * ROW;
    const cy = n(y + ROW / 2 + FONT * 0.35);
    const weight = bar.kind === 'ours' ? ' font-weight="700"' : '';
    out.push(`<text x="${x0 - 10}" y="${cy}" text-anchor="end"${weight}>${escapeXml(bar.label)}</text>`);
    if (bar.failed || !Number.isFinite(bar.value)) {
      out.push(
        `<text x="${x0 + 6}" y="${cy}" font-style="italic">failed: ${escapeXml(bar.failed ?? 'no figure')}</text>`,
      );
      return;
    }
    const w = Math.max(1, n(scale(bar.value)));
    const c = PALETTE[bar.kind].light;
    // A reference (the floor or ceiling the others are measured against) is drawn hollow and dashed, so it differs by more than colour.
    const style =
      bar.kind === 'reference' ? `fill-opacity="0.25" stroke-width="1.5" stroke-dasharray="4 3"` : `stroke-width="0"`;
    out.push(
      `<rect class="${bar.kind}" x="${x0}" y="${n(y + (ROW - BAR) / 2)}" width="${w}" height="${BAR}" rx="2" fill="${c}" stroke="${c}" ${style}/>`,
      `<text x="${n(x0 + w + 6)}" y="${cy}"${weight}>${escapeXml(format(bar.value))}</text>`,
    );
  });

  out.push(
    `<text x="${PAD}" y="${height - 14}" font-size="11.5" opacity="0.85">${escapeXml(footer)}</text>`,
    '</g>',
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

/** Each bar and its value as text, for screen readers and alt text: "label: value; label: value". */
export function describeBars({ bars, format }) {
  return bars.map((b) => `${b.label}: ${b.failed ? `failed (${b.failed})` : format(b.value)}`).join('; ');
}

const perSec = (unit) => (v) => `${rate(v)} ${unit}/s`;
const micro = (v) => `${v.toFixed(2)} µs`;
const nano = (v) => `${v.toFixed(0)} ns`;

/** "Recorded 25 Nov 2026 13:34 UTC at abc1234 · Node v20.20.2 · 2 cores, shared · bench/results/x.json" */
export function footerOf(run, file) {
  const when = new Date(run.started);
  const date = when.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const time = when.toISOString().slice(11, 16);
  const commit = run.commit ? ` at ${run.commit}` : '';
  return `Recorded ${date} ${time} UTC${commit} · Node ${run.node} · ${run.cpus} cores, shared · bench/results/${file}`;
}

/** A bar for `result` (a case's recorded figures, or `{ failed }`), its value picked by `pick`. */
function bar(label, kind, result, pick) {
  if (!result) return { label, kind, failed: 'not in this run' };
  if (result.failed) return { label, kind, failed: result.failed };
  return { label, kind, value: pick(result) };
}

export const CLIENT_LABELS = {
  raw: ['raw socket ceiling', 'reference'],
  'raw-merged': ['raw merged ceiling', 'reference'],
  clonepool: ['@clonepool/memcached', 'ours'],
  'clonepool-unmerged': ['ours, mergeGets: false', 'peer'],
  memjs: ['memjs', 'peer'],
  memcached: ['memcached (3rd-Eden)', 'peer'],
  'memcache-client': ['memcache-client', 'peer'],
  pylibmc: ['pylibmc (Python, C)', 'peer'],
};

/** The chart specifications each suite's recorded run gives. */
const SUITES = {
  'fifo-pool': (run, file) => {
    const footer = footerOf(run, file);
    const cases = [
      ['bare floor', 'bare floor (array)', 'reference'],
      ['ClientPool', '@clonepool/fifo-pool', 'ours'],
      ['generic-pool', 'generic-pool', 'peer'],
      ['tarn', 'tarn', 'peer'],
    ];
    const rounds = `best of ${run.settings.rounds} rounds`;
    return [
      {
        id: 'fifo-pool-one-caller',
        title: 'FIFO pool: reserve + release, one caller',
        subtitle: `Cycles per second back to back, ${run.settings.clients} clients in the pool · higher is better · ${rounds}`,
        axis: 'reserve + release cycles per second',
        format: perSec('cycles'),
        bars: cases.map(([name, label, kind]) => bar(label, kind, run.results[name]?.single, (r) => r.opsPerSec)),
        footer,
      },
      {
        id: 'fifo-pool-contended',
        title: `FIFO pool: ${run.settings.callers.toLocaleString('en')} callers sharing ${run.settings.clients} clients`,
        subtitle: `Cycles per second, each caller holding its client for one await · higher is better · ${rounds}`,
        axis: 'reserve + release cycles per second (all callers)',
        format: perSec('cycles'),
        bars: cases.map(([name, label, kind]) => bar(label, kind, run.results[name]?.contended, (r) => r.opsPerSec)),
        footer,
      },
    ];
  },
  'mapped-pool': (run, file) => {
    const cases = [
      ['MappedPool, in a run() context', 'MappedPool, in run() context', 'ours'],
      ['ClientPool (FIFO), in an ALS context', 'ClientPool, in ALS context', 'peer'],
      ['bare floor, in an ALS context', 'bare floor, in ALS context', 'reference'],
      ['MappedPool, root context (no ALS)', 'MappedPool, root context', 'ours'],
      ['ClientPool (FIFO), 1 client (no ALS)', 'ClientPool, no ALS', 'peer'],
      ['bare floor (no ALS)', 'bare floor, no ALS', 'reference'],
    ];
    return [
      {
        id: 'mapped-pool-cycle',
        title: 'Mapped pool: reserve + release in a context vs FIFO',
        subtitle: `Time per cycle, back to back; ALS = AsyncLocalStorage entered · lower is better · best of ${run.settings.rounds} rounds`,
        axis: 'nanoseconds per reserve + release',
        format: nano,
        bars: cases.map(([name, label, kind]) => bar(label, kind, run.results.cycles[name], (r) => 1e9 / r.opsPerSec)),
        footer: footerOf(run, file),
      },
    ];
  },
  memcached: (run, file) => {
    const footer = footerOf(run, file);
    const rounds = `best of ${run.settings.rounds} rounds`;
    // The clients a shape ran (all of `only` by default), in the order of CLIENT_LABELS.
    const clients = (shape, pick, only = Object.keys(CLIENT_LABELS)) =>
      Object.keys(CLIENT_LABELS)
        .filter((client) => only.includes(client) && run.results[shape]?.[client] !== undefined)
        .map((client) => {
          const [label, kind] = CLIENT_LABELS[client];
          return bar(label, kind, run.results[shape][client], pick);
        });
    const ops = (r) => r.opsPerSec;
    const nodeClients = ['clonepool', 'clonepool-unmerged', 'memjs', 'memcached', 'memcache-client'];
    return [
      {
        id: 'memcached-get-100B',
        title: 'memcached: get of 100-byte values, 200 in flight',
        subtitle: `Gets per second, one server, one Node process per client${run.results['get-100B-c200']?.['raw-merged'] ? ' (raw merged ceiling: get k1 … k200 lines)' : ''} · higher is better · ${rounds}`,
        axis: 'gets per second',
        format: perSec('gets'),
        bars: clients('get-100B-c200', ops),
        footer,
      },
      {
        id: 'memcached-get-10KiB',
        title: 'memcached: get of 10 KiB values, 200 in flight',
        subtitle: `Gets per second, one server · higher is better · ${rounds}`,
        axis: 'gets per second',
        format: perSec('gets'),
        bars: clients('get-10KiB-c200', ops),
        footer,
      },
      {
        id: 'memcached-multi-c1',
        title: 'memcached: multi-get of 100 keys, one caller',
        subtitle: `Calls per second, 100-byte values (memjs: 100 gets in Promise.all) · higher is better · ${rounds}`,
        axis: 'multi-get calls per second (100 keys each)',
        format: perSec('calls'),
        bars: clients('multi-100-c1', ops),
        footer,
      },
      {
        id: 'memcached-multi-c10',
        title: 'memcached: multi-get of 100 keys, 10 calls in flight',
        subtitle: `Calls per second, 100-byte values (memjs: 100 gets in Promise.all) · higher is better · ${rounds}`,
        axis: 'multi-get calls per second (100 keys each)',
        format: perSec('calls'),
        bars: clients('multi-100-c10', ops),
        footer,
      },
      {
        id: 'memcached-cpu-per-get',
        title: 'memcached: client CPU time per get',
        subtitle: `User + system CPU of the client process, 100-byte gets, 200 in flight · lower is better · ${rounds}`,
        axis: 'client CPU microseconds per get',
        format: micro,
        bars: clients('get-100B-c200', (r) => r.cpuUsPerOp, nodeClients),
        footer,
      },
      {
        id: 'memcached-multi-3servers',
        title: 'memcached: multi-get of 100 keys over 3 servers',
        subtitle: `Calls per second, 10 in flight, keys spread by each client's hash ring · higher is better · ${rounds}`,
        axis: 'multi-get calls per second (100 keys each)',
        format: perSec('calls'),
        bars: clients('multi-100-3servers-c10', ops, ['clonepool', 'memcached']),
        footer,
      },
      // Charts of shapes and figures an older recorded run does not have are drawn once it has them.
      {
        id: 'memcached-heap-per-get',
        title: 'memcached: heap bytes allocated per get',
        subtitle: `JS heap allocated per get by the client process (the bench loop's own share included), 100-byte gets, 200 in flight · lower is better · ${rounds}`,
        axis: 'bytes allocated on the JS heap per get',
        format: (v) => `${Math.round(v).toLocaleString('en')} B`,
        bars: clients('get-100B-c200', (r) => r.heapBytesPerOp, nodeClients),
        footer,
      },
      {
        id: 'memcached-get-3servers',
        title: 'memcached: get of 100-byte values over 3 servers, 200 in flight',
        subtitle: `Gets per second; the raw ceilings use one bare socket per server · higher is better · ${rounds}`,
        axis: 'gets per second',
        format: perSec('gets'),
        bars: clients('get-100B-3servers-c200', ops),
        footer,
      },
    ].filter((chart) => chart.bars.some((b) => Number.isFinite(b.value)));
  },
  'get-or-set': (run, file) => {
    const { processes, concurrency, keyCount, factoryMs } = run.settings;
    const load = `${processes} processes × ${concurrency} callers, ${keyCount} hot keys fresh for 2 s, factory ${factoryMs} ms`;
    // The strategies whose keys expire, as GET_OR_SET_CASES in figures.mjs labels them, shorter.
    const cases = [
      ['get-or-set', 'getOrSet, grace 10 s', 'ours'],
      ['get-or-set-no-grace', 'getOrSet, no grace', 'ours'],
      ['cache-manager', 'cache-manager wrap', 'peer'],
      ['bentocache', 'bentocache getOrSet', 'peer'],
      ['get-miss-set', 'get, miss, set', 'reference'],
    ];
    const bars = (pick) => cases.map(([id, label, kind]) => bar(label, kind, run.results[id], pick));
    const ms = (v) => `${v.toFixed(1)} ms`;
    return [
      {
        id: 'get-or-set-runs',
        title: 'Hot keys: factory runs per key per expiry',
        subtitle: `${load} · 1.00 is one refresh for all processes · lower is better`,
        axis: 'factory runs per key per expiry',
        format: (v) => v.toFixed(2),
        bars: bars((r) => r.runsPerExpiry),
        footer: footerOf(run, file),
      },
      {
        id: 'get-or-set-p99-after-expiry',
        title: 'Hot keys: p99 latency in the 200 ms after an expiry',
        subtitle: `${load} · a plain get that never misses: ${ms(run.results.hit.p99Ms)} · lower is better`,
        axis: 'p99 latency of the calls for a key started within 200 ms of its expiry (ms)',
        format: ms,
        bars: [
          ...bars((r) => r.p99AfterExpiryMs),
          bar('get, never expires', 'reference', run.results.hit, (r) => r.p99Ms),
        ],
        footer: footerOf(run, file),
      },
    ];
  },
  distribution: (run, file) => [
    {
      id: 'distribution-serverfor',
      title: 'memcached: picking a key’s server (serverFor)',
      subtitle: `Lookups per second of ~20-byte keys, per distribution and server count · higher is better`,
      axis: 'serverFor lookups per second',
      format: perSec('lookups'),
      bars: run.results.map((r) => ({
        label: `${r.kind}, ${r.servers} servers`,
        kind: 'ours',
        value: r.lookupsPerSec,
      })),
      footer: footerOf(run, file),
    },
  ],
};

/** The label of a fleet or gutter mode in charts and tables. */
export const GUTTER_MODES = {
  off: ['failover off', 'reference'],
  removeFailed: ['removeFailed', 'peer'],
  gutter: ['removeFailed + gutter', 'ours'],
};

const times = (v) => `${v.toFixed(2)}×`;
const percent = (v) => `${v.toFixed(1)}%`;

SUITES.fleet = (run, file) => {
  const rings = run.results.filter((r) => r.kind !== 'modula');
  return [
    {
      id: 'fleet-moved',
      title: 'Adding one server: keys moved ÷ the ideal 1/(n+1)',
      subtitle: `Mean of ${run.settings.trials} additions, ${run.settings.keysPerServer.toLocaleString('en')} keys per server · 1.00× is ideal · lower is better`,
      axis: 'keys moved ÷ the share the new server must take',
      format: times,
      bars: [
        { label: 'ideal', kind: 'reference', value: 1 },
        ...rings.map((r) => ({
          label: `${r.kind}, ${r.servers} → ${r.servers + 1}`,
          kind: 'ours',
          value: r.addMoved / r.addIdeal,
        })),
      ],
      footer: footerOf(run, file),
    },
    {
      id: 'fleet-imbalance',
      title: 'Load imbalance: the busiest server’s keys ÷ the mean',
      subtitle: `Keys per server, ${run.settings.keysPerServer.toLocaleString('en')} on average · 1.00× is even · lower is better`,
      axis: 'max ÷ mean keys per server',
      format: times,
      bars: run.results.map((r) => ({ label: `${r.kind}, ${r.servers} servers`, kind: 'ours', value: r.maxOverMean })),
      footer: footerOf(run, file),
    },
  ];
};

SUITES.gutter = (run, file) => {
  const footer = footerOf(run, file);
  const seconds = run.settings.phaseMs / 1000;
  const survivors = (mode) =>
    run.results[mode].perServer
      .filter((s) => s.role === 'survivor')
      .map((s, i) => ({
        label: `${GUTTER_MODES[mode][0]} · survivor ${i + 1}`,
        kind: GUTTER_MODES[mode][1],
        value: s.after / s.before,
      }));
  return [
    {
      id: 'gutter-survivor-load',
      title: 'One of 4 servers killed: the load each survivor takes',
      subtitle: `Requests/s (gets + sets) in the ${seconds} s after the kill ÷ before · lower is better`,
      axis: 'requests per second after the kill ÷ before',
      format: times,
      bars: [...survivors('removeFailed'), ...survivors('gutter')],
      footer,
    },
    {
      id: 'gutter-hit-ratio',
      title: 'One of 4 servers killed: hit ratio after the kill',
      subtitle: `Gets that hit in the ${seconds} s after the kill; a failed get is a miss · higher is better`,
      axis: 'hit ratio (%)',
      format: percent,
      bars: Object.keys(GUTTER_MODES).map((mode) => ({
        label: GUTTER_MODES[mode][0],
        kind: GUTTER_MODES[mode][1],
        value: run.results[mode].after.hitRatio * 100,
      })),
      footer,
    },
  ];
};

/**
 * The chart specifications (see {@link barChart}) for a set of recorded runs,
 * keyed by results file name (`fifo-pool.json` → its parsed JSON). Files of
 * unknown suites are skipped.
 */
export function chartSpecs(runs) {
  return Object.entries(runs).flatMap(([file, run]) => SUITES[basename(file, '.json')]?.(run, file) ?? []);
}

/**
 * The charts for a set of recorded runs, as {@link chartSpecs} takes them.
 * @returns {{ file: string, svg: string }[]}
 */
export function renderCharts(runs) {
  return chartSpecs(runs).map((chart) => ({ file: `${chart.id}.svg`, svg: barChart(chart) }));
}

/** Every results file in `resultsDir`, parsed, keyed by file name. */
export async function readRuns(resultsDir) {
  const runs = {};
  for (const file of (await readdir(resultsDir)).filter((f) => f.endsWith('.json')).sort()) {
    runs[file] = JSON.parse(await readFile(join(resultsDir, file), 'utf8'));
  }
  return runs;
}

/** Reads every results file in `resultsDir`, writes each chart into `outDir`, and returns the paths written. */
export async function writeCharts(resultsDir, outDir) {
  const runs = await readRuns(resultsDir);
  await mkdir(outDir, { recursive: true });
  const written = [];
  for (const { file, svg } of renderCharts(runs)) {
    await writeFile(join(outDir, file), svg);
    written.push(join(outDir, file));
  }
  return written;
}

/** `node bench/charts.mjs [results-dir] [out-dir]`: the charts, then the figures in every page. */
async function main() {
  const here = (path) => fileURLToPath(new URL(path, import.meta.url));
  const [resultsDir = here('./results/'), outDir = here('../docs/public/bench/')] = process.argv.slice(2);
  for (const path of await writeCharts(resultsDir, outDir)) console.log(`wrote ${path}`);
  // The figures quoted in the docs and READMEs, from the same results (see figures.mjs). It
  // imports this module, so it is loaded only here, once this module has finished loading.
  const { benchFigures, figurePages, fillFigures } = await import('./figures.mjs');
  const figures = benchFigures(await readRuns(resultsDir));
  for (const page of figurePages(here('..'))) {
    const filled = fillFigures(page.text, figures, page.name);
    if (filled === page.text) continue;
    await writeFile(page.path, filled);
    console.log(`updated the figures in ${page.name}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
