import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { channelNames, type EjectMessage, type RejoinMessage } from '@clonepool/memcached';
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { Targets } from './targets.js';

/** The bounds of the down-time histogram, in seconds: from a quick retry to an hour. */
const DOWN_TIME_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600];

interface Instruments {
  readonly ejections: Counter;
  readonly downTime: Histogram;
}

/**
 * The driver's failover (`removeFailed`), which no convention covers, as
 * two metrics of this package's own, from the `clonepool:memcached:eject`
 * and `rejoin` channels, with `server.address` and `server.port`:
 * `clonepool.memcached.ejections` (a counter: servers taken off a client's
 * ring) and `clonepool.memcached.down_time` (a histogram, seconds: how long a
 * server was off, recorded when it rejoins).
 */
export class FailoverMetrics {
  readonly #meter: () => Meter;
  readonly #targets = new Targets();
  #instruments: Instruments | undefined;

  /** @param meter - The meter to make instruments on now (it changes with the meter provider). */
  constructor(meter: () => Meter) {
    this.#meter = meter;
  }

  start(): void {
    if (this.#instruments !== undefined) return;
    const meter = this.#meter();
    this.#instruments = {
      ejections: meter.createCounter('clonepool.memcached.ejections', {
        unit: '{ejection}',
        description: "Servers that failover (removeFailed) took off a client's ring.",
      }),
      downTime: meter.createHistogram('clonepool.memcached.down_time', {
        unit: 's',
        description: 'How long an ejected server was off the ring, recorded when it rejoins.',
        advice: { explicitBucketBoundaries: DOWN_TIME_BUCKETS },
      }),
    };
    subscribe(channelNames.eject, this.#onEject);
    subscribe(channelNames.rejoin, this.#onRejoin);
  }

  stop(): void {
    if (this.#instruments === undefined) return;
    this.#instruments = undefined;
    unsubscribe(channelNames.eject, this.#onEject);
    unsubscribe(channelNames.rejoin, this.#onRejoin);
  }

  readonly #onEject = (message: unknown): void => {
    const { server } = message as EjectMessage;
    this.#instruments?.ejections.add(1, this.#targets.of(server).attributes);
  };

  readonly #onRejoin = (message: unknown): void => {
    const { server, downMs } = message as RejoinMessage;
    this.#instruments?.downTime.record(downMs / 1000, this.#targets.of(server).attributes);
  };
}
