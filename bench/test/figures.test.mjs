// Every figure on the site and in the READMEs comes from bench/results/*.json:
// the committed pages and charts are what the recorded results give, and no
// page quotes a measured figure by hand.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll as before, describe, it } from 'vitest';
import { readRuns, renderCharts } from '../charts.mjs';
import { benchFigures, figurePages, fillFigures, handTypedFigures } from '../figures.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const CHARTS = join(ROOT, 'docs', 'public', 'bench');
const FIXTURES = fileURLToPath(new URL('./fixtures/results/', import.meta.url));
const REGENERATE = 'run `node bench/charts.mjs` and commit what it changes';

describe('the figures in the docs and READMEs', () => {
  let runs;
  let figures;
  let pages;
  before(async () => {
    runs = await readRuns(RESULTS);
    figures = benchFigures(runs);
    pages = figurePages(ROOT);
  });

  it('are the ones the recorded results give', () => {
    const stale = pages.filter((page) => fillFigures(page.text, figures, page.name) !== page.text);
    assert.deepEqual(
      stale.map((page) => page.name),
      [],
      `these pages quote figures the results no longer give: ${REGENERATE}`,
    );
    // The pages that state measured results do so through markers.
    const marked = pages.filter((page) => page.text.includes('<!-- bench:')).map((page) => page.name);
    for (const page of [
      'docs/guide/benchmarks.md',
      'docs/packages/fifo-pool.md',
      'docs/packages/mapped-pool.md',
      'docs/packages/memcached.md',
      'packages/fifo-pool/README.md',
    ]) {
      assert.ok(marked.includes(page), `${page} has no bench markers`);
    }
  });

  it('are never typed by hand', () => {
    const found = pages.flatMap((page) =>
      handTypedFigures(page.text).map((f) => `${page.name}:${f.line}: ${f.figure} in "${f.text}"`),
    );
    assert.deepEqual(
      found,
      [],
      'measured figures outside a <!-- bench:name --> marker: put each in a marker (bench/figures.mjs names them)',
    );
  });

  it('agree with the targets the suites computed themselves', () => {
    const target = (file, prefix) => runs[file].targets.find((t) => t.target.startsWith(prefix)).measured;
    const figure = (name) => figures.get(name).text;
    assert.equal(
      figure('fifo.single.clientpool.vs.generic-pool'),
      target('fifo-pool.json', 'one caller vs generic-pool'),
    );
    assert.equal(figure('fifo.single.clientpool.vs.tarn'), target('fifo-pool.json', 'one caller vs tarn'));
    assert.equal(figure('fifo.contended.clientpool.vs.generic-pool'), target('fifo-pool.json', 'contended vs generic'));
    assert.equal(
      figure('mapped.run-context.vs.fifo'),
      target('mapped-pool.json', 'in-context reserve+release vs FIFO with'),
    );
    assert.equal(
      figure('memcached.get-100B.vs.raw'),
      target('memcached.json', '100 B gets, 200 in flight, one socket: ≥ 3×'),
    );
    assert.equal(figure('memcached.get-100B.vs.memjs'), target('memcached.json', '100 B gets, 200 in flight: ≥ 1.15×'));
    assert.equal(figure('memcached.get-10KiB.vs.memjs'), target('memcached.json', '10 KiB gets'));
    assert.equal(figure('memcached.multi-c1.vs.best-peer'), target('memcached.json', 'multi-get of 100 keys (c1)'));
    assert.equal(figure('memcached.multi-c10.vs.best-peer'), target('memcached.json', 'multi-get of 100 keys (c10)'));
    assert.equal(figure('memcached.cpu.clonepool'), target('memcached.json', 'client CPU'));
    assert.equal(
      figure('memcached.multi-3servers.vs.memcached'),
      target('memcached.json', 'multi-get of 100 keys over'),
    );
    assert.equal(figure('get-or-set.after.vs.hit'), target('get-or-set.json', 'with grace: p99'));
    assert.equal(figure('get-or-set.runs.get-or-set'), target('get-or-set.json', 'with grace: factory runs'));
  });
});

describe('the charts in the docs', () => {
  it('are the ones the recorded results draw', async () => {
    const charts = renderCharts(await readRuns(RESULTS));
    const committed = readdirSync(CHARTS).filter((f) => f.endsWith('.svg'));
    assert.deepEqual(
      committed.sort(),
      charts.map((c) => c.file).sort(),
      `charts without results, or missing: ${REGENERATE}`,
    );
    const stale = charts.filter((c) => readFileSync(join(CHARTS, c.file), 'utf8') !== c.svg).map((c) => c.file);
    assert.deepEqual(stale, [], `charts that differ from the results: ${REGENERATE}`);
  });
});

describe('filling markers', () => {
  let figures;
  before(async () => {
    figures = benchFigures(await readRuns(FIXTURES));
  });

  it('writes the figure the results give over whatever the marker held', () => {
    const page = 'One caller: <!-- bench:fifo.single.clientpool.vs.generic-pool -->3.1×<!-- /bench --> generic-pool.';
    assert.equal(
      fillFigures(page, figures, 'page.md'),
      'One caller: <!-- bench:fifo.single.clientpool.vs.generic-pool -->2.50×<!-- /bench --> generic-pool.',
    );
  });

  it('sets a table on lines of its own, so it renders as a table', () => {
    const filled = fillFigures('Before.\n\n<!-- bench:fifo.table -->\n<!-- /bench -->\n\nAfter.', figures, 'page.md');
    assert.match(filled, /<!-- bench:fifo\.table -->\n\n\| case \| one caller \(cycles\/s\) \|/);
    assert.match(filled, /\| \*\*ClientPool\*\* \| \*\*3\.50M\*\* \|/);
    assert.match(filled, /\n\n<!-- \/bench -->\n\nAfter\.$/);
    assert.equal(fillFigures(filled, figures, 'page.md'), filled);
  });

  it('leaves a marker written as inline code alone: that is prose about markers', () => {
    const page = 'Write `<!-- bench:fifo.table -->` and `<!-- /bench -->` around it.';
    assert.equal(fillFigures(page, figures, 'page.md'), page);
  });

  it('refuses a marker that names no figure, or is never closed', () => {
    assert.throws(
      () => fillFigures('<!-- bench:fifo.nonsense -->1×<!-- /bench -->', figures, 'a.md'),
      /a\.md: no bench figure named "fifo\.nonsense"/,
    );
    assert.throws(
      () => fillFigures('<!-- bench:fifo.table -->', figures, 'b.md'),
      /b\.md: a <!-- bench:… --> marker without/,
    );
  });
});

describe('finding hand-typed figures', () => {
  it('flags ratios, rates and measured times outside markers', () => {
    const page = [
      'We are 3.1× memjs and 3.3–4.6x the best peer.',
      'It served 193.1k gets/s, 3.31M cycles, 12 calls/s.',
      'Each get took 4.89 µs of CPU; a lookup 300 ns; p99 2.2 ms.',
    ].join('\n');
    assert.deepEqual(
      handTypedFigures(page).map((f) => `${f.line} ${f.figure}`),
      ['1 3.1×', '1 4.6x', '2 193.1k', '2 3.31M', '2 12 calls/s', '3 4.89 µs', '3 300 ns', '3 2.2 ms'],
    );
  });

  it('leaves generated spans, doctest fences and settings alone', () => {
    const page = [
      'Ours: <!-- bench:memcached.get-100B.vs.memjs -->1.30×<!-- /bench --> memjs.',
      '```ts',
      "console.log((2.5).toFixed(1) + '×'); // → 2.5×",
      '```',
      'A timeout of 100 ms, 1,000 callers, 10 KiB values, 8 MiB, 74.9% of keys, the `memory-1M` shape.',
    ].join('\n');
    assert.deepEqual(handTypedFigures(page), []);
  });

  it('still reads fences that are not doctests', () => {
    assert.deepEqual(
      handTypedFigures('```text\nclonepool 193.1k ops/s\n```\n').map((f) => f.figure),
      ['193.1k'],
    );
  });
});
