// A small load generator: N concurrent keep-alive connections asking for keys
// in turn, for D seconds or M requests; then requests/s, latency percentiles
// and the server's pool stats (from GET /_stats).
//
//   tsx --conditions=@clonepool/source load.ts --url http://127.0.0.1:8080 --connections 32 --duration 5
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientPoolStats } from '@clonepool/fifo-pool';
import type { MappedPoolStats } from '@clonepool/mapped-pool';
import { loadKeys } from './documents.js';

/** What a load run does. */
export interface LoadOptions {
  /** The server's base URL, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The keys asked for, in turn. */
  readonly keys: readonly string[];
  /** Requests in flight at once (one keep-alive connection each). */
  readonly connections: number;
  /** Stop after this many milliseconds. At least one of `durationMs` and `requests` is needed. */
  readonly durationMs?: number | undefined;
  /** Stop after this many requests. */
  readonly requests?: number | undefined;
  /** Stop early (requests in flight still finish). */
  readonly signal?: AbortSignal | undefined;
  /** Called about ten times a second and once at the end, with how far the run is (0 to 1). */
  readonly onProgress?: ((fraction: number, done: number) => void) | undefined;
}

/** What a load run measured. */
export interface LoadSummary {
  readonly requests: number;
  /** Requests that failed without an HTTP status (connection errors). */
  readonly errors: number;
  /** How many responses had each status. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** Whether the run was stopped early by its signal. */
  readonly aborted: boolean;
}

const PROGRESS_INTERVAL_MS = 100;

/** Runs the load; resolves once every request it started has finished. */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const { url, keys, connections, durationMs, requests: limit, signal, onProgress } = options;
  if (durationMs === undefined && limit === undefined) throw new TypeError('give durationMs or requests');
  if (keys.length === 0) throw new TypeError('give at least one key');
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  let next = 0;
  const started = performance.now();
  const deadline = durationMs === undefined ? Number.POSITIVE_INFINITY : started + durationMs;
  const progress = (): number => {
    const byTime = durationMs === undefined ? 0 : (performance.now() - started) / durationMs;
    const byCount = limit === undefined ? 0 : latencies.length / limit;
    return Math.min(1, Math.max(byTime, byCount));
  };
  const ticker =
    onProgress === undefined
      ? undefined
      : setInterval(() => onProgress(progress(), latencies.length), PROGRESS_INTERVAL_MS);
  ticker?.unref();

  const more = (): boolean =>
    !signal?.aborted && performance.now() < deadline && (limit === undefined || issued < limit);

  async function connection(): Promise<void> {
    while (more()) {
      issued++;
      const key = keys[next++ % keys.length]!;
      const path = `/${encodeURIComponent(key)}`;
      const t0 = performance.now();
      try {
        const status = await get(agent, base, path);
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }

  try {
    await Promise.all(Array.from({ length: connections }, connection));
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    agent.destroy();
  }
  const elapsedMs = performance.now() - started;
  onProgress?.(signal?.aborted ? progress() : 1, latencies.length);
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    statuses,
    elapsedMs,
    requestsPerSecond: latencies.length / (elapsedMs / 1000),
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
    },
    aborted: signal?.aborted ?? false,
  };
}

/** One GET; resolves its status once the body has been read. */
function get(agent: Agent, base: URL, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: base.hostname, port: base.port, path, method: 'GET' }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** A cache server's pool stats: a FIFO pool's or a mapped pool's. */
export type PoolStats = ClientPoolStats | MappedPoolStats;

/** Reads the server's pool stats from `GET /_stats`. */
export async function fetchStats(url: string): Promise<PoolStats> {
  const response = await fetch(new URL('/_stats', url));
  if (!response.ok) throw new Error(`GET /_stats answered ${response.status}`);
  return (await response.json()) as PoolStats;
}

/** The pool's stats as lines of text. */
function formatStats(stats: PoolStats): string[] {
  if ('clones' in stats) {
    return [
      `pool: size ${stats.size}, reserved ${stats.reserved}, waiting ${stats.waiting}, contexts ${stats.contexts}`,
      `pool: clones ${stats.clones}, relinquished ${stats.relinquished}, reclaimed ${stats.reclaimed}`,
    ];
  }
  return [
    `pool: size ${stats.size}, available ${stats.available}, reserved ${stats.reserved}, waiting ${stats.waiting}`,
    `pool: reserves ${stats.reserves}, waits ${stats.waits}, maxWaiting ${stats.maxWaiting}, timeouts ${stats.timeouts}, discards ${stats.discards}`,
  ];
}

/** The summary as lines of text. */
export function formatSummary(summary: LoadSummary, stats?: PoolStats): string {
  const ms = (value: number): string => `${value.toFixed(2)} ms`;
  const statuses = Object.entries(summary.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  const lines = [
    `requests: ${summary.requests} in ${(summary.elapsedMs / 1000).toFixed(2)} s${summary.aborted ? ' (stopped early)' : ''}`,
    `requests/s: ${summary.requestsPerSecond.toFixed(0)}`,
    `statuses: ${statuses || 'none'}; errors: ${summary.errors}`,
    `latency: p50 ${ms(summary.latencyMs.p50)}, p90 ${ms(summary.latencyMs.p90)}, p99 ${ms(summary.latencyMs.p99)}, max ${ms(summary.latencyMs.max)}`,
  ];
  if (stats !== undefined) lines.push(...formatStats(stats));
  return lines.join('\n');
}

/** A text progress bar: `[#########-----------]  45%`. */
export function progressBar(fraction: number, width = 30): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(clamped * 100)).padStart(3)}%`;
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.CACHE_URL ?? 'http://127.0.0.1:8080' },
      connections: { type: 'string', short: 'c', default: '32' },
      duration: { type: 'string', short: 'd' },
      requests: { type: 'string', short: 'n' },
      keys: { type: 'string', short: 'k' },
    },
  });
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new TypeError(`--${name} must be a positive number; got ${text}`);
    return value;
  };
  const connections = number('connections', values.connections) ?? 32;
  const requests = number('requests', values.requests);
  const durationS = number('duration', values.duration) ?? (requests === undefined ? 5 : undefined);
  const keys = values.keys === undefined ? loadKeys() : values.keys.split(',');
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const summary = await runLoad({
    url: values.url,
    keys,
    connections: Math.floor(connections),
    durationMs: durationS === undefined ? undefined : durationS * 1000,
    requests: requests === undefined ? undefined : Math.floor(requests),
    signal: stop.signal,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  console.log(formatSummary(summary, await fetchStats(values.url)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
