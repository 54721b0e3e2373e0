// The load every OpenTelemetry case runs, written once so both clients are traced by
// the same SDK under the same loop: a case script (otel-<client>.mjs) only says how to
// make its client and how to turn its instrumentation on and off, then calls runOtelCase().
//
// One process per client. Its workers (`concurrency` of them, each inside a request
// span of its own, as a server's handlers are) get 100-byte values in a closed loop
// that never stops; the case turns tracing on and off every `sliceMs`, in pairs
// ordered off-on, on-off, off-on, … so that load from elsewhere on the machine falls
// on both modes alike, and reports each slice's throughput and CPU. A full collection
// before each slice keeps one slice's garbage out of the next one's time. Every get is
// compared with the value stored: a miss, a wrong value or an error fails the case.

import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { caseArgs, percentile } from '../lib/harness.mjs';
import { reportCase } from './memcached-shapes.mjs';

/**
 * The SDK both clients are traced with, as an application sets it up: the async
 * context manager, a tracer provider with a batch span processor (its defaults),
 * and an exporter that counts the spans and drops them (nothing leaves the process).
 */
export function tracingSdk(sampled) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exported = { spans: 0, names: new Map() };
  const exporter = {
    export(spans, done) {
      exported.spans += spans.length;
      for (const span of spans) exported.names.set(span.name, (exported.names.get(span.name) ?? 0) + 1);
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  // The SDK's default sampler, made explicit: a span follows its parent's decision, and a root (a
  // request) is sampled, unless this shape leaves the requests unsampled, as a ratio sampler does
  // for most requests in production.
  const root = sampled ? new AlwaysOnSampler() : new AlwaysOffSampler();
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return { provider, exported };
}

/** The value stored under key `i`: 100 bytes, different per key, so a mixed-up reply is caught. */
function valueFor(i, size) {
  const head = `value ${i} `;
  return head + 'x'.repeat(size - head.length);
}

/**
 * Runs the sliced load with the client `connect(servers, provider)` resolves to:
 * `{ get(key) → string, set(key, value), enable(), disable(), close() }`, made
 * with its instrumentation on the given tracer provider and disabled.
 */
export async function runOtelCase(name, connect) {
  const args = caseArgs();
  const { servers, size, keyCount, concurrency, warmupMs, sliceMs, pairs, sampled } = args;
  const { provider, exported } = tracingSdk(sampled);
  const client = await connect(servers, provider);
  const keys = Array.from({ length: keyCount }, (_, i) => `otel:${i}`);
  const values = keys.map((_, i) => valueFor(i, size));
  for (let i = 0; i < keyCount; i++) await client.set(keys[i], values[i]);

  const tally = { ops: 0, bad: 0, errors: 0, firstError: undefined };
  let running = true;
  let next = 0;
  const worker = async () => {
    while (running) {
      const i = next++ % keyCount;
      try {
        if ((await client.get(keys[i])) !== values[i]) tally.bad++;
      } catch (error) {
        tally.errors++;
        tally.firstError ??= error;
      }
      tally.ops++;
    }
  };
  const tracer = provider.getTracer('bench');
  const requests = [];
  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    const request = tracer.startSpan(`request ${w}`);
    requests.push(request);
    workers.push(context.with(trace.setSpan(context.active(), request), worker));
  }

  let tracing = false;
  const setTracing = (on) => {
    if (on === tracing) return;
    tracing = on;
    if (on) client.enable();
    else client.disable();
  };
  const slice = async (on) => {
    setTracing(on);
    // The garbage of the slice before (spans, in a traced one) is collected here, not in this slice's time.
    globalThis.gc();
    const ops = tally.ops;
    const cpu = process.cpuUsage();
    const start = performance.now();
    await sleep(sliceMs);
    const done = tally.ops - ops;
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - start) / 1_000;
    return { on, ops: done, opsPerSec: done / seconds, cpuUsPerOp: (used.user + used.system) / done };
  };
  for (let end = performance.now() + warmupMs, on = false; performance.now() < end; on = !on) await slice(on);
  const slices = [];
  let tracedOps = 0;
  for (let pair = 0; pair < pairs; pair++) {
    const first = pair % 2 === 1; // off-on, then on-off, …
    for (const on of [first, !first]) {
      const measured = await slice(on);
      if (on) tracedOps += measured.ops;
      slices.push(measured);
    }
  }
  setTracing(false);
  running = false;
  await Promise.all(workers);
  for (const request of requests) request.end();
  await provider.forceFlush();
  await client.close();
  await provider.shutdown();

  const of = (on) => slices.filter((s) => s.on === on);
  const median = (list) => percentile([...list], 50);
  // Each pair's two slices ran back to back: their ratio is the overhead with the machine's load at that moment.
  const ratios = [];
  for (let i = 0; i < slices.length; i += 2) {
    const [a, b] = [slices[i], slices[i + 1]];
    const [off, on] = a.on ? [b, a] : [a, b];
    ratios.push({ throughput: on.opsPerSec / off.opsPerSec, cpu: on.cpuUsPerOp / off.cpuUsPerOp });
  }
  reportCase(name, args, {
    off: {
      opsPerSec: median(of(false).map((s) => s.opsPerSec)),
      cpuUsPerOp: median(of(false).map((s) => s.cpuUsPerOp)),
    },
    on: { opsPerSec: median(of(true).map((s) => s.opsPerSec)), cpuUsPerOp: median(of(true).map((s) => s.cpuUsPerOp)) },
    throughputRatio: median(ratios.map((r) => r.throughput)),
    cpuRatio: median(ratios.map((r) => r.cpu)),
    slices,
    tracedOps,
    // Spans of the workload's gets, from every traced slice (and the warm-up's): at least one per traced get.
    exportedSpans: exported.spans,
    spanNames: Object.fromEntries(exported.names),
    totalOps: tally.ops,
    bad: tally.bad,
    errors: tally.errors,
    firstError: tally.firstError ? String(tally.firstError?.stack ?? tally.firstError) : undefined,
  });
}
