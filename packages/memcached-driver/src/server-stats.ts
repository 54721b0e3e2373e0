/**
 * One server's figures as {@link Client.serverStats} reports them: what the
 * client and every clone of it (a pool's clients) sent it and how it answered,
 * so that one unhealthy node stands out of a fleet.
 *
 * Counts run from when the server joined the client's list. Latency is timed
 * from when a request is queued until its reply is read, on one request in
 * eight, and on one at a time per connection (so timing costs nothing
 * noticeable), and kept in a histogram of 4 buckets per doubling: a percentile is
 * the middle of its bucket, within about 12% of the true value. It covers the
 * last 10 to 20 seconds, so a server that just slowed down shows it at once.
 *
 * @example
 * ```ts
 * import { Client, type ServerStats } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:stats', 1);
 * await client.get('doc:stats');
 * const clone = client.clone();
 * for (let i = 0; i < 8; i++) await clone.get('doc:stats');
 * // The clone's commands count too: one view for a whole pool.
 * const stats: ServerStats = [...client.serverStats().values()][0]!;
 * console.log(stats.ops, stats.errors, stats.ejections, stats.latencyMs !== undefined && stats.latencyMs.p50 > 0);
 * await Promise.all([clone.close(), client.close()]);
 * // → 10 0 0 true
 * ```
 */
export interface ServerStats {
  /**
   * Requests sent that wait for a reply, as the server receives them: a multi-get line of up to
   * 100 keys is one, whether `getMulti` or the gets of one tick merged (`mergeGets`) sent it;
   * `noreply` writes are not counted.
   */
  readonly ops: number;
  /**
   * Requests that failed at the server: error replies, timeouts, connections
   * that dropped with requests in flight, and requests refused at once while
   * the server is left alone after a failure.
   */
  readonly errors: number;
  /** How many times failover (`removeFailed`) took it off a client's ring. */
  readonly ejections: number;
  /** How many of the open clients (the client and its clones) have it off their ring now. */
  readonly offRing: number;
  /** Whether it is one of the `gutter` servers. */
  readonly gutter: boolean;
  /** Reply latency percentiles in milliseconds over the last 10 to 20 seconds; `undefined` when nothing was timed there. */
  readonly latencyMs: LatencyPercentiles | undefined;
}

/**
 * Latency percentiles of one server, in milliseconds (see {@link ServerStats}).
 *
 * @example
 * ```ts
 * import { Client, type LatencyPercentiles } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * // One request in eight is timed.
 * for (let i = 0; i < 80; i++) await client.get(`doc:latency:${i}`);
 * const latency: LatencyPercentiles | undefined = [...client.serverStats().values()][0]!.latencyMs;
 * console.log(latency !== undefined && latency.samples === 10 && latency.p50 <= latency.p99);
 * await client.close();
 * // → true
 * ```
 */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** How many replies were timed in the window (one request in eight is timed). */
  readonly samples: number;
}

/** How long one latency window lasts; percentiles cover the current window and the one before. */
const WINDOW_MS = 10_000;
/** Values 1–3 µs get a bucket each; above, every doubling gets SUB buckets, up to 2^31 µs (36 minutes). */
const SUB = 4;
const BUCKETS = SUB + (31 - 2) * SUB;

/** The bucket of a latency of `us` microseconds (1 to 2^31−1). */
function bucketOf(us: number): number {
  if (us < SUB) return us;
  const exponent = 31 - Math.clz32(us);
  return SUB + (exponent - 2) * SUB + ((us >>> (exponent - 2)) & (SUB - 1));
}

/** The middle of bucket `index`, in microseconds. */
function middleOf(index: number): number {
  if (index < SUB) return index;
  const width = 2 ** ((index - SUB) >> 2);
  return (SUB + ((index - SUB) & (SUB - 1))) * width + width / 2;
}

/**
 * The running counts of one server, shared by every client of a fleet (a
 * client and its clones), bumped where a request is queued and where it settles.
 */
export class ServerCounters {
  readonly gutter: boolean;
  ops = 0;
  errors = 0;
  ejections = 0;
  /** The latency histograms: the window being filled, and the one before. */
  #current = new Uint32Array(BUCKETS);
  #previous = new Uint32Array(BUCKETS);
  #windowStart = 0;

  constructor(gutter: boolean) {
    this.gutter = gutter;
  }

  /** Counts one reply that took `ms` milliseconds, timed at `now` (`performance.now()`). */
  latency(ms: number, now: number): void {
    if (now - this.#windowStart >= WINDOW_MS) this.#rotate(now);
    const us = Math.min(2 ** 31 - 1, Math.max(1, Math.round(ms * 1000)));
    this.#current[bucketOf(us)]!++;
  }

  /** The figures at `now` (`performance.now()`), with how many clients have the server off their ring. */
  snapshot(offRing: number, now: number = performance.now()): ServerStats {
    if (now - this.#windowStart >= WINDOW_MS) this.#rotate(now);
    return {
      ops: this.ops,
      errors: this.errors,
      ejections: this.ejections,
      offRing,
      gutter: this.gutter,
      latencyMs: this.#percentiles(),
    };
  }

  #rotate(now: number): void {
    if (now - this.#windowStart >= 2 * WINDOW_MS) {
      // A window that ended long ago says nothing about now: both go.
      this.#current.fill(0);
      this.#previous.fill(0);
    } else {
      const emptied = this.#previous.fill(0);
      this.#previous = this.#current;
      this.#current = emptied;
    }
    this.#windowStart = now;
  }

  #percentiles(): LatencyPercentiles | undefined {
    const current = this.#current;
    const previous = this.#previous;
    let samples = 0;
    for (let i = 0; i < BUCKETS; i++) samples += current[i]! + previous[i]!;
    if (samples === 0) return undefined;
    const at = (share: number): number => {
      const rank = Math.ceil(share * samples);
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += current[i]! + previous[i]!;
        if (seen >= rank) return middleOf(i) / 1000;
      }
      return middleOf(BUCKETS - 1) / 1000;
    };
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), samples };
  }
}
