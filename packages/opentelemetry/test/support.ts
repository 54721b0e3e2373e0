import { Client, type ClientOptions } from '@clonepool/memcached';
import { type StartMemcachedOptions, startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { ClonepoolInstrumentation, type ClonepoolInstrumentationConfig } from '../src/index.ts';

let server: TestMemcached | undefined;
const servers = new Set<TestMemcached>();
const closers = new Set<() => unknown>();

// One memcached per test file (never 11211), the SDK's async-context manager for the
// file, and everything made here closed, disabled or shut down after it.
beforeAll(async () => {
  server = await startMemcached();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(async () => {
  for (const close of closers) await close();
  closers.clear();
  await Promise.all([server, ...servers].map((s) => s?.stop()));
  servers.clear();
  context.disable();
});

/** The file's memcached. */
export function sharedServer(): string {
  if (server === undefined) throw new Error('the test memcached starts in beforeAll: call this from a test or hook');
  return server.address;
}

/** A memcached of the test's own, stopped after the file. */
export async function ownServer(options?: StartMemcachedOptions): Promise<TestMemcached> {
  const started = await startMemcached(options);
  servers.add(started);
  return started;
}

/** A client (on the file's server unless told otherwise), closed after the file. */
export function client(servers: string | readonly string[] = sharedServer(), options?: ClientOptions): Client {
  const made = new Client(servers, options);
  closers.add(() => made.close());
  return made;
}

/** Anything to close after the file (a pool). */
export function closeAfter<T extends { close(): Promise<unknown> }>(resource: T): T {
  closers.add(() => resource.close());
  return resource;
}

/**
 * The real SDK, as an application sets it up: a tracer provider exporting to
 * memory, a meter provider whose reader exports to memory when flushed, and
 * the instrumentation with both, disabled and shut down when the test ends. Call it in a test.
 */
export function telemetry(config?: ClonepoolInstrumentationConfig) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // An hour between exports: a test collects when it wants with collect().
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = new ClonepoolInstrumentation({ ...config, enabled: false });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(meterProvider);
  if (config?.enabled !== false) instrumentation.enable();
  // Per test, so that no instrumentation of an earlier test still listens.
  onTestFinished(async () => {
    instrumentation.disable();
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
  });
  return {
    instrumentation,
    tracerProvider,
    meterProvider,
    /** The spans ended so far, in the order they ended. */
    spans: (): ReadableSpan[] => spans.getFinishedSpans(),
    resetSpans: () => spans.reset(),
    /** Collects every metric now: the metric of each name from the latest export. */
    async collect(): Promise<Map<string, MetricData>> {
      metricExporter.reset();
      await reader.forceFlush();
      const exported = metricExporter.getMetrics().at(-1);
      const byName = new Map<string, MetricData>();
      for (const scope of exported?.scopeMetrics ?? [])
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      return byName;
    },
  };
}

/** The value of each data point of a sum or gauge, keyed by its attributes (`name=value,…`). */
export function pointValues(metric: MetricData | undefined): Record<string, number> {
  const values: Record<string, number> = {};
  for (const point of (metric?.dataPoints ?? []) as DataPoint<number>[])
    values[attributesKey(point.attributes)] = point.value;
  return values;
}

/** The count and sum of each histogram data point, keyed by its attributes. */
export function histogramCounts(metric: MetricData | undefined): Record<string, { count: number; sum: number }> {
  const counts: Record<string, { count: number; sum: number }> = {};
  for (const point of (metric?.dataPoints ?? []) as DataPoint<Histogram>[]) {
    counts[attributesKey(point.attributes)] = { count: point.value.count, sum: point.value.sum ?? Number.NaN };
  }
  return counts;
}

function attributesKey(attributes: Record<string, unknown>): string {
  return Object.entries(attributes)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(',');
}

/** Host and port of a `host:port` address. */
export function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
