// Records one traced request against a real memcached and draws it: the picture of a
// trace in docs/guide/opentelemetry.md. `node bench/trace/record.mjs` (after pnpm build)
// starts a memcached, runs a request span whose handler uses a ClientPool of our client
// (a get that misses, then a set and a multi-get pipelined side by side, then a batch),
// keeps the spans the SDK exported in bench/trace/spans.json (their durations as the SDK
// measured them, their starts as a span processor saw the SDK start them), and draws
// docs/public/opentelemetry/trace.svg from them. `--draw` only draws again from the
// saved spans, which is what the test checks the committed picture against.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { traceSvg } from './draw.mjs';

const SPANS = new URL('./spans.json', import.meta.url);
const SVG = new URL('../../docs/public/opentelemetry/trace.svg', import.meta.url);

/** What the picture says about the recording, from the saved record. */
export function pictureOf(record) {
  return traceSvg({
    spans: record.spans,
    title: 'A traced request: its memcached commands as child spans',
    subtitle: 'Spans from @clonepool/opentelemetry, as the SDK exported them, against a real memcached',
    footer: `Recorded ${record.recorded.slice(0, 16).replace('T', ' ')} UTC at ${record.commit} · Node ${record.node} · bench/trace/record.mjs`,
  });
}

async function record() {
  const { ClientPool } = await import('@clonepool/fifo-pool');
  const { Client } = await import('@clonepool/memcached');
  const { ClonepoolInstrumentation } = await import('@clonepool/opentelemetry');
  const { context } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
    '@opentelemetry/sdk-trace-base'
  );
  const { startMemcached } = await import('../lib/memcached-server.mjs');

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  // The SDK stamps a span's start in whole milliseconds (from Date.now()), too coarse to place
  // sub-millisecond commands: a span processor notes when the SDK started each, to the microsecond.
  const startedAt = new Map();
  const clock = {
    onStart: (span) => startedAt.set(span.spanContext().spanId, performance.now()),
    onEnd: () => {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({ spanProcessors: [clock, new SimpleSpanProcessor(exporter)] });
  const instrumentation = new ClonepoolInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(provider);
  const server = await startMemcached({ threads: 1, memoryMb: 64 });
  try {
    const pool = new ClientPool(new Client(server.address), 2, { name: 'cache' });
    await pool.use((client) => client.setMulti({ 'user:grace': 'Grace', 'user:edsger': 'Edsger' }));
    await pool.use((client) => client.delete('user:ada')); // the profile not cached
    instrumentation.enable();
    const handle = () =>
      provider.getTracer('app').startActiveSpan('GET /users/ada', async (request) => {
        await pool.use(async (client) => {
          if ((await client.get('user:ada')) === undefined) {
            await Promise.all([
              client.set('user:ada', { name: 'Ada' }, { ttl: 300 }),
              client.getMulti(['user:grace', 'user:edsger', 'user:barbara']),
            ]);
          }
          await client.setMulti({ 'seen:ada': Date.now(), 'seen:grace': Date.now() });
        });
        request.end();
      });
    // Warm: the picture shows a request of a running service, not the first one of a cold process.
    for (let i = 0; i < 50; i++) {
      await handle();
      await pool.use((client) => client.delete('user:ada'));
    }
    exporter.reset();
    await handle();
    instrumentation.disable();
    await pool.close();
  } finally {
    await server.stop();
  }
  const spans = exporter.getFinishedSpans();
  const micros = ([s, ns]) => s * 1e6 + ns / 1e3;
  const startUs = (span) => startedAt.get(span.spanContext().spanId) * 1e3;
  const t0 = Math.min(...spans.map(startUs));
  const saved = {
    recorded: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    node: process.version,
    spans: spans.map((span) => ({
      name: span.name,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      startUs: Number((startUs(span) - t0).toFixed(1)),
      durationUs: Number(micros(span.duration).toFixed(1)),
      attributes: span.attributes,
      error: span.status.code === 2,
    })),
  };
  await writeFile(SPANS, `${JSON.stringify(saved, null, 2)}\n`);
  console.log(`wrote ${fileURLToPath(SPANS)}`);
}

async function draw() {
  const saved = JSON.parse(await readFile(SPANS, 'utf8'));
  await mkdir(new URL('.', SVG), { recursive: true });
  await writeFile(SVG, pictureOf(saved));
  console.log(`wrote ${fileURLToPath(SVG)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!process.argv.includes('--draw')) await record();
  await draw();
}
