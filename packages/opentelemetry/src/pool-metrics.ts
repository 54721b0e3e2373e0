import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type CloneMessage,
  type Pool,
  type PoolStats,
  poolChannelNames,
  type ReleaseMessage,
  type ReserveErrorMessage,
  type ReserveMessage,
} from '@clonepool/core';
import type {
  Attributes,
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  ObservableUpDownCounter,
} from '@opentelemetry/api';
import { ATTR_CONNECTION_STATE, ATTR_POOL_NAME } from './semconv.js';

/**
 * The pool packages whose channels are read (`clonepool:<package>:<event>`):
 * both publish core's events, so one set of handlers serves both.
 */
export const POOL_PACKAGES = ['fifo-pool', 'mapped-pool'] as const;

/** A pool package, as its channels name it. */
export type PoolPackage = (typeof POOL_PACKAGES)[number];

/**
 * The bounds of the time histograms, in seconds: the conventions'
 * `db.client.operation.duration` boundaries (they give none for pools), with
 * 0.1 ms and 0.5 ms in front, since taking a free client costs microseconds.
 */
const TIME_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** One pool seen on the channels, held weakly: the instrumentation never keeps a pool alive. */
interface Tracked {
  readonly pool: WeakRef<Pool<unknown, PoolStats>>;
  readonly kind: PoolPackage;
  /** `db.client.connection.pool.name`, for the histograms and counters. */
  readonly attributes: Attributes;
  readonly idle: Attributes;
  readonly used: Attributes;
}

/** The instruments, made on one meter while the metrics are on. */
interface Instruments {
  readonly meter: Meter;
  readonly count: ObservableUpDownCounter;
  readonly max: ObservableUpDownCounter;
  readonly pending: ObservableUpDownCounter;
  readonly waitTime: Histogram;
  readonly useTime: Histogram;
  readonly createTime: Histogram;
  readonly timeouts: Counter;
}

/** The handlers of one pool package's channels. */
type Handlers = ReadonlyArray<readonly [channel: string, handler: (message: unknown) => void]>;

/**
 * The connection-pool metrics of OpenTelemetry's database conventions for
 * every `ClientPool` and `MappedPool` seen on their diagnostics channels. A
 * pooled client (with its own connection per server) counts as one connection.
 *
 * - `db.client.connection.count` (`state` `idle` or `used`),
 *   `db.client.connection.max` and `db.client.connection.pending_requests`
 *   are observed at each collection from `pool.stats()` of each pool seen so
 *   far and not closed (pools are held weakly).
 * - `db.client.connection.wait_time`, `use_time` and `create_time`
 *   (histograms, seconds) and `db.client.connection.timeouts` are recorded
 *   from the `reserve`, `release`, `clone` and `reserve-error` events.
 *
 * A pool is seen from its first reserve, release or clone after the metrics
 * are on; its `name` option is `db.client.connection.pool.name`, else
 * `fifo-pool#1`, `mapped-pool#2`… in the order pools are seen. Pools that share
 * a name are added up. A pool that was closed or collected is observed at 0
 * once, then no more.
 */
export class PoolMetrics {
  readonly #meter: () => Meter;
  readonly #seen = new WeakMap<object, Tracked>();
  #tracked: Tracked[] = [];
  readonly #unnamed: Record<PoolPackage, number> = { 'fifo-pool': 0, 'mapped-pool': 0 };
  readonly #handlers: Handlers;
  #instruments: Instruments | undefined;

  /** @param meter - The meter to make instruments on now (it changes with the meter provider). */
  constructor(meter: () => Meter) {
    this.#meter = meter;
    this.#handlers = POOL_PACKAGES.flatMap((kind) => this.#handlersOf(kind));
  }

  /** Makes the instruments and subscribes; a no-op when on already. */
  start(): void {
    if (this.#instruments !== undefined) return;
    const meter = this.#meter();
    const time = (name: string, description: string) =>
      meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: TIME_BUCKETS } });
    const instruments: Instruments = {
      meter,
      count: meter.createObservableUpDownCounter('db.client.connection.count', {
        unit: '{connection}',
        description: 'The number of connections that are currently in state described by the `state` attribute.',
      }),
      max: meter.createObservableUpDownCounter('db.client.connection.max', {
        unit: '{connection}',
        description: 'The maximum number of open connections allowed.',
      }),
      pending: meter.createObservableUpDownCounter('db.client.connection.pending_requests', {
        unit: '{request}',
        description: 'The number of current pending requests for an open connection.',
      }),
      waitTime: time('db.client.connection.wait_time', 'The time it took to obtain an open connection from the pool.'),
      useTime: time(
        'db.client.connection.use_time',
        'The time between borrowing a connection and returning it to the pool.',
      ),
      createTime: time('db.client.connection.create_time', 'The time it took to create a new connection.'),
      timeouts: meter.createCounter('db.client.connection.timeouts', {
        unit: '{timeout}',
        description:
          'The number of connection timeouts that have occurred trying to obtain a connection from the pool.',
      }),
    };
    meter.addBatchObservableCallback(this.#observe, [instruments.count, instruments.max, instruments.pending]);
    this.#instruments = instruments;
    for (const [channel, handler] of this.#handlers) subscribe(channel, handler);
  }

  /** Unsubscribes and stops observing; a no-op when off already. Pools seen keep their names. */
  stop(): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    this.#instruments = undefined;
    for (const [channel, handler] of this.#handlers) unsubscribe(channel, handler);
    instruments.meter.removeBatchObservableCallback(this.#observe, [
      instruments.count,
      instruments.max,
      instruments.pending,
    ]);
  }

  #handlersOf(kind: PoolPackage): Handlers {
    const names = poolChannelNames(kind);
    return [
      [
        names.reserve,
        (message) => {
          const { pool, waitedMs } = message as ReserveMessage;
          this.#instruments?.waitTime.record(waitedMs / 1000, this.#track(pool, kind).attributes);
        },
      ],
      [
        names.reserveError,
        (message) => {
          const { pool, error } = message as ReserveErrorMessage;
          const tracked = this.#track(pool, kind);
          if ((error as { code?: unknown } | null)?.code === 'ERR_RESERVE_TIMEOUT') {
            this.#instruments?.timeouts.add(1, tracked.attributes);
          }
        },
      ],
      [
        names.release,
        (message) => {
          const { pool, heldMs } = message as ReleaseMessage;
          const tracked = this.#track(pool, kind);
          // A lease granted before the metrics were on has no measured start.
          if (heldMs !== undefined) this.#instruments?.useTime.record(heldMs / 1000, tracked.attributes);
        },
      ],
      [
        names.clone,
        (message) => {
          const { pool, durationMs } = message as CloneMessage;
          const tracked = this.#track(pool, kind);
          if (durationMs !== undefined) this.#instruments?.createTime.record(durationMs / 1000, tracked.attributes);
        },
      ],
    ];
  }

  /** The pool's record, made the first time it is seen. */
  #track(pool: Pool<unknown, PoolStats>, kind: PoolPackage): Tracked {
    const known = this.#seen.get(pool);
    if (known !== undefined) return known;
    const name = pool.name ?? `${kind}#${++this.#unnamed[kind]}`;
    const tracked: Tracked = {
      pool: new WeakRef(pool),
      kind,
      attributes: Object.freeze({ [ATTR_POOL_NAME]: name }),
      idle: Object.freeze({ [ATTR_POOL_NAME]: name, [ATTR_CONNECTION_STATE]: 'idle' }),
      used: Object.freeze({ [ATTR_POOL_NAME]: name, [ATTR_CONNECTION_STATE]: 'used' }),
    };
    this.#seen.set(pool, tracked);
    this.#tracked.push(tracked);
    return tracked;
  }

  /** Observes every live pool's counts, added up by name; forgets pools that were closed or collected. */
  readonly #observe: BatchObservableCallback = (observer) => {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const totals = new Map<string, { tracked: Tracked; idle: number; used: number; max: number; pending: number }>();
    this.#tracked = this.#tracked.filter((tracked) => {
      const pool = tracked.pool.deref();
      // A pool that is gone is counted at 0 once, then forgotten: the SDK goes on exporting a series' last value.
      const gone = pool === undefined || pool.isClosed;
      const { idle, used, max, pending } = gone ? NONE : countsOf(pool, tracked.kind);
      const name = tracked.attributes[ATTR_POOL_NAME] as string;
      const total = totals.get(name);
      if (total === undefined) totals.set(name, { tracked, idle, used, max, pending });
      else {
        total.idle += idle;
        total.used += used;
        total.max += max;
        total.pending += pending;
      }
      return !gone;
    });
    for (const { tracked, idle, used, max, pending } of totals.values()) {
      observer.observe(instruments.count, idle, tracked.idle);
      observer.observe(instruments.count, used, tracked.used);
      if (Number.isFinite(max)) observer.observe(instruments.max, max, tracked.attributes);
      observer.observe(instruments.pending, pending, tracked.attributes);
    }
  };
}

/** The counts of a pool that was closed or collected. */
const NONE = Object.freeze({ idle: 0, used: 0, max: 0, pending: 0 });

/**
 * A pool's connections by the conventions' states. A `ClientPool`'s idle
 * clients wait to be lent and its reserved ones are lent (`max` is its slots).
 * A `MappedPool`'s clients each belong to one context from their clone to
 * their drop and are never lent to another, so all of them are `used`
 * (`max` is `maxClients`, `Infinity` when unbounded, which is not reported).
 */
function countsOf(
  pool: Pool<unknown, PoolStats>,
  kind: PoolPackage,
): { idle: number; used: number; max: number; pending: number } {
  const stats = pool.stats() as PoolStats & { available?: number; slots?: number };
  if (kind === 'fifo-pool') {
    return {
      idle: stats.available ?? 0,
      used: stats.reserved,
      max: stats.slots ?? Number.POSITIVE_INFINITY,
      pending: stats.waiting,
    };
  }
  const max = (pool as { maxClients?: unknown }).maxClients;
  return {
    idle: 0,
    used: stats.size,
    max: typeof max === 'number' ? max : Number.POSITIVE_INFINITY,
    pending: stats.waiting,
  };
}
