// The picture of a trace in docs/guide/opentelemetry.md is drawn from spans the SDK
// exported in a real run (bench/trace/record.mjs), never by hand: the committed SVG is
// what the saved spans draw, and the saved spans are a request with its commands.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { pictureOf } from '../trace/record.mjs';

const saved = JSON.parse(readFileSync(new URL('../trace/spans.json', import.meta.url), 'utf8'));
const svg = readFileSync(new URL('../../docs/public/opentelemetry/trace.svg', import.meta.url), 'utf8');

describe('the picture of a trace', () => {
  it('is what the recorded spans draw', () => {
    assert.equal(svg, pictureOf(saved), 'run `node bench/trace/record.mjs --draw` (or without --draw, to record anew)');
  });

  it('shows a request span and its memcached commands, as the SDK exported them', () => {
    const [request, ...others] = saved.spans.filter((span) => span.parentSpanId === undefined);
    assert.deepEqual(others, []);
    assert.equal(request.name, 'GET /users/ada');
    const commands = saved.spans.filter((span) => span !== request);
    assert.ok(commands.length >= 4);
    for (const span of commands) {
      assert.equal(span.parentSpanId, request.spanId, span.name);
      assert.equal(span.attributes['db.system.name'], 'memcached', span.name);
      assert.match(span.name, /^(BATCH )?[a-z]+ 127\.0\.0\.1:\d+$/);
      assert.ok(span.durationUs > 0 && span.startUs >= request.startUs, span.name);
      assert.ok(span.startUs + span.durationUs <= request.startUs + request.durationUs, span.name);
    }
    assert.match(svg, /^<svg [^>]*role="img"/);
    for (const span of saved.spans) assert.ok(svg.includes(`>${span.name}</text>`), span.name);
  });
});
