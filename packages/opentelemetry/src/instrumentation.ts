import { InvalidArgumentError } from '@clonepool/core';
import { type Meter, type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import { CommandSpans } from './command-spans.js';
import { type ClonepoolInstrumentationConfig, type ParsedConfig, parseConfig } from './config.js';
import { FailoverMetrics } from './failover-metrics.js';
import { PoolMetrics } from './pool-metrics.js';
import { VERSION } from './version.js';

/** The instrumentation scope's name: this package's. */
const NAME = '@clonepool/opentelemetry';

/**
 * OpenTelemetry traces and metrics for `@clonepool/memcached` and the
 * clonepool pools, read from their `node:diagnostics_channel` channels: no
 * module is patched, and nothing is subscribed (so the packages' channels
 * cost a property read) until it is enabled.
 *
 * - A CLIENT span per memcached command, after the database conventions:
 *   `db.system.name` `memcached`, `db.operation.name` (the memcached command:
 *   `get`, `set`, `BATCH set` for a `setMulti`), `server.address` and
 *   `server.port`, `db.operation.batch.size`, `error.type`, and keys only
 *   with `recordKeys`. Its parent is the context active where the command
 *   was called, however many callers share the client's pipelined connection.
 * - The conventions' connection-pool metrics for `ClientPool` and `MappedPool`
 *   (`db.client.connection.count`, `.max`, `.pending_requests`, `.wait_time`,
 *   `.use_time`, `.create_time`, `.timeouts`), named by the pools' `name` option.
 *
 * It has the shape of OpenTelemetry's `Instrumentation` interface, so
 * `registerInstrumentations({ instrumentations: [new ClonepoolInstrumentation()] })`
 * takes it, without this package depending on `@opentelemetry/instrumentation`
 * (whose base class loads a module loader hook this one never needs). As every
 * OpenTelemetry instrumentation, it is enabled when made, with the global
 * tracer and meter providers unless given others.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 * import { ClonepoolInstrumentation } from '@clonepool/opentelemetry';
 * import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
 *
 * const exporter = new InMemorySpanExporter();
 * const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
 * const instrumentation = new ClonepoolInstrumentation();
 * instrumentation.setTracerProvider(provider);
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:otel', 'traced');
 * await client.getMulti(['doc:otel', 'doc:otel:none']);
 * instrumentation.disable();
 * await client.get('doc:otel'); // not traced
 * await client.close();
 *
 * for (const span of exporter.getFinishedSpans()) {
 *   const { 'db.system.name': system, 'db.operation.name': operation, 'memcached.key_count': keys } = span.attributes;
 *   console.log(system, operation, keys ?? 1, span.attributes['server.port'] !== undefined);
 * }
 * await provider.shutdown();
 * // → memcached set 1 true
 * // → memcached get 2 true
 * ```
 */
export class ClonepoolInstrumentation {
  /** `@clonepool/opentelemetry`: the name of the tracer and meter it uses. */
  readonly instrumentationName: string = NAME;
  /** This package's version. */
  readonly instrumentationVersion: string = VERSION;
  #config: ParsedConfig;
  #enabled = false;
  /** The meter provider given; the global one, read when the metrics start, until one is. */
  #meterProvider: MeterProvider | undefined;
  readonly #spans: CommandSpans;
  readonly #pools: PoolMetrics;
  readonly #failover: FailoverMetrics;

  /**
   * Makes the instrumentation, and enables it unless `config.enabled` is
   * `false`. Throws `InvalidArgumentError` (`ERR_INVALID_ARG_VALUE`) for an
   * unknown option or a value of the wrong type.
   *
   * @param config - Whether to enable it now, and whether to record keys.
   */
  constructor(config?: ClonepoolInstrumentationConfig) {
    this.#config = parseConfig(config, 'new ClonepoolInstrumentation()');
    const meter = (): Meter => (this.#meterProvider ?? metrics.getMeterProvider()).getMeter(NAME, VERSION);
    this.#spans = new CommandSpans(trace.getTracer(NAME, VERSION));
    this.#spans.recordKeys = this.#config.recordKeys;
    this.#pools = new PoolMetrics(meter);
    this.#failover = new FailoverMetrics(meter);
    if (this.#config.enabled) this.enable();
  }

  /** Whether it is subscribed to the channels now. */
  get isEnabled(): boolean {
    return this.#enabled;
  }

  /**
   * Subscribes to the channels: every command from now on gets a span, and
   * every pool seen from now on is measured. Idempotent.
   */
  enable(): void {
    if (this.#enabled) return;
    this.#enabled = true;
    this.#spans.subscribe();
    this.#pools.start();
    this.#failover.start();
  }

  /**
   * Unsubscribes from every channel: nothing is recorded from now on, and the
   * packages stop building trace contexts and measuring pool events. Commands
   * in flight are not exported. Idempotent.
   */
  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    this.#spans.unsubscribe();
    this.#pools.stop();
    this.#failover.stop();
  }

  /**
   * Uses `provider` for the spans of the commands that start from now on.
   *
   * @param provider - A tracer provider, such as the SDK's `BasicTracerProvider`.
   */
  setTracerProvider(provider: TracerProvider): void {
    if (typeof (provider as Partial<TracerProvider> | null)?.getTracer !== 'function') {
      throw new InvalidArgumentError('tracerProvider', 'a TracerProvider (with getTracer())', provider);
    }
    this.#spans.tracer = provider.getTracer(NAME, VERSION);
  }

  /**
   * Uses `provider` for the metrics: while enabled, the instruments are made
   * again on its meter (the old meter's observations stop).
   *
   * @param provider - A meter provider, such as the SDK's `MeterProvider`.
   */
  setMeterProvider(provider: MeterProvider): void {
    if (typeof (provider as Partial<MeterProvider> | null)?.getMeter !== 'function') {
      throw new InvalidArgumentError('meterProvider', 'a MeterProvider (with getMeter())', provider);
    }
    this.#meterProvider = provider;
    if (!this.#enabled) return;
    this.#pools.stop();
    this.#failover.stop();
    this.#pools.start();
    this.#failover.start();
  }

  /**
   * Replaces the options; `recordKeys` applies to the commands that start
   * from now on. `enabled` only says what the constructor did: call
   * `enable()` or `disable()` to change that.
   *
   * @param config - The options, as the constructor takes them.
   */
  setConfig(config: ClonepoolInstrumentationConfig): void {
    this.#config = parseConfig(config, 'setConfig()');
    this.#spans.recordKeys = this.#config.recordKeys;
  }

  /** The options in force, every one filled in. */
  getConfig(): { readonly enabled: boolean; readonly recordKeys: boolean } {
    return { ...this.#config };
  }
}
