// Draws a trace's spans (as record.mjs saves them from the SDK's exporter) as a
// waterfall: one row per span under its parent, each bar where and as long as the
// span was, its duration beside it, and the attributes that tell the commands apart.
import { escapeXml } from '../charts.mjs';

const WIDTH = 760;
const ROW = 34;
const TOP = 78;
const PAD = 20;
const FONT = 13;
const LABEL = 250;
const INDENT = 16;
const CARD = { light: { bg: '#f6f6f7', text: '#2c2c32' }, dark: { bg: '#202127', text: '#e3e3dc' } };
/** The request's bar and the commands' bars: the logo's accent for ours. */
const FILL = {
  request: { light: '#6b7689', dark: '#98a2b3' },
  command: { light: '#c4553a', dark: '#ee957a' },
  error: { light: '#b42318', dark: '#f97066' },
};
/** The attributes shown under a command's name, when it has them. */
const SHOWN = ['memcached.key_count', 'db.operation.batch.size', 'error.type'];

/** `{ name, spanId, parentSpanId, startUs, durationUs, attributes, error }` spans, in any order, to rows in tree order. */
function rows(spans) {
  const children = new Map();
  for (const span of spans) {
    const list = children.get(span.parentSpanId ?? null) ?? [];
    list.push(span);
    children.set(span.parentSpanId ?? null, list);
  }
  const ids = new Set(spans.map((span) => span.spanId));
  const roots = spans.filter((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId));
  const out = [];
  const visit = (span, depth) => {
    out.push({ span, depth });
    const kids = (children.get(span.spanId) ?? []).sort((a, b) => a.startUs - b.startUs);
    for (const kid of kids) visit(kid, depth + 1);
  };
  for (const root of roots.sort((a, b) => a.startUs - b.startUs)) visit(root, 0);
  return out;
}

/** 1.24 ms, 87 µs. */
function duration(us) {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${Math.round(us)} µs`;
}

/**
 * The SVG of a trace, from its recorded spans and what they were recorded from
 * (`title`, `subtitle`, `footer` lines).
 */
export function traceSvg({ spans, title, subtitle, footer }) {
  const list = rows(spans);
  const t0 = Math.min(...spans.map((span) => span.startUs));
  const end = Math.max(...spans.map((span) => span.startUs + span.durationUs));
  const total = end - t0;
  const x0 = PAD + LABEL;
  const plot = WIDTH - x0 - PAD - 70;
  const x = (us) => Number((x0 + ((us - t0) / total) * plot).toFixed(1));
  const height = TOP + list.length * ROW + 46;
  const describe = list
    .map(({ span }) => `${span.name} at +${duration(span.startUs - t0)} for ${duration(span.durationUs)}`)
    .join('; ');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-labelledby="trace-title trace-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif" font-size="${FONT}">`,
    `<title id="trace-title">${escapeXml(title)}</title>`,
    `<desc id="trace-desc">${escapeXml(`${subtitle}. ${describe}. ${footer}.`)}</desc>`,
    '<style>',
    `svg{color:${CARD.light.text}}.card{fill:${CARD.light.bg}}`,
    ...Object.entries(FILL).map(([kind, c]) => `.${kind}{fill:${c.light}}`),
    '@media (prefers-color-scheme:dark){',
    `svg{color:${CARD.dark.text}}.card{fill:${CARD.dark.bg}}`,
    ...Object.entries(FILL).map(([kind, c]) => `.${kind}{fill:${c.dark}}`),
    '}',
    '</style>',
    `<rect class="card" width="${WIDTH}" height="${height}" rx="10" fill="${CARD.light.bg}"/>`,
    '<g fill="currentColor">',
    `<text x="${PAD}" y="30" font-size="17" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${PAD}" y="52" opacity="0.85">${escapeXml(subtitle)}</text>`,
  ];
  // A tick at the start, the middle and the end of the trace.
  for (const fraction of [0, 0.5, 1]) {
    const at = x(t0 + fraction * total);
    out.push(
      `<line x1="${at}" y1="${TOP - 8}" x2="${at}" y2="${TOP + list.length * ROW}" stroke="currentColor" stroke-opacity="0.15"/>`,
      `<text x="${at}" y="${TOP + list.length * ROW + 18}" text-anchor="middle" font-size="12" opacity="0.85">${escapeXml(duration(fraction * total))}</text>`,
    );
  }
  list.forEach(({ span, depth }, i) => {
    const y = TOP + i * ROW;
    const kind = span.error ? 'error' : depth === 0 ? 'request' : 'command';
    const shown = SHOWN.filter((name) => span.attributes[name] !== undefined).map(
      (name) => `${name} ${span.attributes[name]}`,
    );
    const left = PAD + depth * INDENT;
    out.push(
      `<text x="${left}" y="${y + (shown.length > 0 ? 13 : 19)}"${depth === 0 ? ' font-weight="600"' : ''}>${escapeXml(span.name)}</text>`,
    );
    if (shown.length > 0) {
      out.push(`<text x="${left}" y="${y + 27}" font-size="11" opacity="0.75">${escapeXml(shown.join(', '))}</text>`);
    }
    const from = x(span.startUs);
    const width = Math.max(2, Number((x(span.startUs + span.durationUs) - from).toFixed(1)));
    const color = FILL[kind].light;
    out.push(
      `<rect class="${kind}" x="${from}" y="${y + 7}" width="${width}" height="18" rx="3" fill="${color}"/>`,
      `<text x="${Number((from + width + 6).toFixed(1))}" y="${y + 20}" font-size="12">${escapeXml(duration(span.durationUs))}</text>`,
    );
  });
  out.push(
    `<text x="${PAD}" y="${height - 14}" font-size="11" opacity="0.75">${escapeXml(footer)}</text>`,
    '</g>',
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
