// The chart generator turns a recorded results file into well-formed,
// accessible SVG.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll as after, beforeAll as before, describe, it } from 'vitest';
import { barChart, escapeXml, writeCharts } from '../charts.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/results/', import.meta.url));

/**
 * Checks `xml` is well-formed (one root, tags nested and closed, attributes
 * quoted and unique, `&` and `<` only as markup or entities) and returns its
 * elements as { name, attrs, text } in document order.
 */
function parseXml(xml) {
  const elements = [];
  const stack = [];
  const entity = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi;
  const checkText = (text, where) => {
    assert.ok(!text.replace(entity, '').includes('&'), `a bare & in ${where}: ${text}`);
    assert.ok(!text.includes('<'), `a bare < in ${where}: ${text}`);
  };
  let rootClosed = false;
  let at = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/y;
  while (at < xml.length) {
    const lt = xml.indexOf('<', at);
    const text = xml.slice(at, lt === -1 ? xml.length : lt);
    if (text.trim()) {
      assert.ok(stack.length > 0, `text outside the root: ${text}`);
      checkText(text, `<${stack.at(-1).name}>`);
      stack.at(-1).text += text;
    }
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    assert.ok(m, `malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`);
    const [, closing, name, rawAttrs, selfClosing] = m;
    at = tag.lastIndex;
    if (closing) {
      const open = stack.pop();
      assert.equal(open?.name, name, `</${name}> closes <${open?.name}>`);
      if (stack.length === 0) rootClosed = true;
      continue;
    }
    assert.ok(!rootClosed && (stack.length > 0 || elements.length === 0), `a second root <${name}>`);
    const attrs = {};
    for (const [, key, value] of rawAttrs.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      assert.ok(!(key in attrs), `<${name}> repeats ${key}`);
      checkText(value, `${name}@${key}`);
      attrs[key] = value;
    }
    const element = { name, attrs, text: '' };
    elements.push(element);
    if (!selfClosing) stack.push(element);
  }
  assert.equal(stack.length, 0, `unclosed: ${stack.map((e) => e.name).join(', ')}`);
  assert.ok(rootClosed, 'no root element');
  return elements;
}

describe('charts', () => {
  let out;
  let written;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'clonepool-charts-'));
    written = await writeCharts(FIXTURES, out);
  });
  after(() => rm(out, { recursive: true, force: true }));

  it('writes the charts of each known suite and skips unknown results files', async () => {
    assert.deepEqual((await readdir(out)).sort(), ['fifo-pool-contended.svg', 'fifo-pool-one-caller.svg']);
    assert.equal(written.length, 2);
  });

  it('writes well-formed SVG with a title and a description for screen readers', async () => {
    for (const file of await readdir(out)) {
      const svg = await readFile(join(out, file), 'utf8');
      const elements = parseXml(svg);
      const root = elements[0];
      assert.equal(root.name, 'svg');
      assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
      assert.equal(root.attrs.role, 'img');
      assert.match(root.attrs.viewBox, /^0 0 \d+ \d+$/);
      const ids = root.attrs['aria-labelledby'].split(' ');
      const byId = (id) => elements.find((e) => e.attrs.id === id);
      assert.equal(byId(ids[0])?.name, 'title');
      assert.equal(byId(ids[1])?.name, 'desc');
      assert.ok(byId(ids[0]).text.length > 10);
      assert.doesNotMatch(svg, /NaN|undefined|Infinity|\[object/);
    }
  });

  it('labels every bar with its value and unit, and the axis with its unit', async () => {
    const svg = await readFile(join(out, 'fifo-pool-one-caller.svg'), 'utf8');
    const texts = parseXml(svg)
      .filter((e) => e.name === 'text')
      .map((e) => e.text);
    for (const value of ['6.00M cycles/s', '3.50M cycles/s', '1.40M cycles/s', '550.0k cycles/s']) {
      assert.ok(texts.includes(value), `no label ${value} in ${texts.join(' | ')}`);
    }
    assert.ok(texts.includes('reserve + release cycles per second'));
    assert.ok(texts.some((t) => t.includes('Node v20.20.2') && t.includes('abc1234')));
    const desc = parseXml(svg).find((e) => e.name === 'desc').text;
    assert.match(desc, /@clonepool\/fifo-pool: 3\.50M cycles\/s/);
  });

  it('draws bars in proportion, ours in its own colour class', async () => {
    const svg = await readFile(join(out, 'fifo-pool-one-caller.svg'), 'utf8');
    const bars = parseXml(svg).filter((e) => e.name === 'rect' && e.attrs.class !== 'card');
    assert.deepEqual(
      bars.map((b) => b.attrs.class),
      ['reference', 'ours', 'peer', 'peer'],
    );
    const widths = bars.map((b) => Number(b.attrs.width));
    assert.ok(Math.abs(widths[1] / widths[0] - 3.5 / 6) < 0.01, `widths ${widths}`);
    assert.ok(Math.abs(widths[3] / widths[0] - 0.55 / 6) < 0.01, `widths ${widths}`);
  });

  it('shows a failed case as text, escaped, instead of a bar', async () => {
    const svg = await readFile(join(out, 'fifo-pool-contended.svg'), 'utf8');
    const elements = parseXml(svg);
    assert.equal(elements.filter((e) => e.name === 'rect' && e.attrs.class !== 'card').length, 3);
    assert.ok(elements.some((e) => e.name === 'text' && e.text === 'failed: exited with 1 &lt;&amp;&gt;'));
  });

  it('keeps text in currentColor and sets a dark scheme, so the chart reads in light and dark mode', async () => {
    const svg = await readFile(join(out, 'fifo-pool-one-caller.svg'), 'utf8');
    assert.match(svg, /<g fill="currentColor">/);
    assert.match(svg, /@media \(prefers-color-scheme:dark\)\{/);
  });

  it('escapes markup in labels', () => {
    const svg = barChart({
      id: 'x',
      title: 'a <b> & "c"',
      subtitle: 's',
      axis: 'units/s',
      format: String,
      bars: [{ label: '<script>', kind: 'ours', value: 1 }],
      footer: 'f',
    });
    parseXml(svg);
    assert.ok(svg.includes(escapeXml('<script>')));
    assert.ok(!svg.includes('<script>'));
  });
});
