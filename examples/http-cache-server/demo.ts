// The README's demo, from a fresh machine: start three memcached servers, seed
// a few documents, serve them over HTTP through a FIFO pool, run a short load
// with a progress bar and say what it showed (why requests waited, what the
// 404s are), then serve them through a mapped pool, one client per request,
// and stop everything it started, also when interrupted (Ctrl-C).
//
// `--help` (demo-usage.txt) lists the options; DEMO_SECONDS, DEMO_CONNECTIONS
// and DEMO_CONCURRENCY set them too.
import { accessSync, constants as fs, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { ClientPoolStats } from '@clonepool/fifo-pool';
import type { MappedPoolStats } from '@clonepool/mapped-pool';
import { Client } from '@clonepool/memcached';
import { DOCUMENTS, GENERATED_ITEMS, loadKeys, seed } from './documents.js';
import { formatSummary, type LoadSummary, progressBar, runLoad } from './load.js';
import { startServers } from './memcached.js';
import { type CacheServer, createCacheServer, DEFAULT_RESERVE_TIMEOUT_MS } from './server.js';

const usage = readFileSync(new URL('./demo-usage.txt', import.meta.url), 'utf8');

/** Exits with the usage after a bad command line, as command-line tools do (status 2). */
function usageError(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

let args: {
  help?: boolean | undefined;
  seconds?: string | undefined;
  connections?: string | undefined;
  clients?: string | undefined;
};
try {
  ({ values: args } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      clients: { type: 'string' },
    },
  }));
} catch (error) {
  usageError((error as Error).message);
}
if (args.help) {
  process.stdout.write(usage);
  process.exit(0);
}

const seconds = positive('--seconds', args.seconds, 'DEMO_SECONDS', 4);
const connections = Math.floor(positive('--connections', args.connections, 'DEMO_CONNECTIONS', 32));
const clients = Math.floor(positive('--clients', args.clients, 'DEMO_CONCURRENCY', 8));

function positive(flag: string, given: string | undefined, variable: string, fallback: number): number {
  const text = given ?? process.env[variable];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < (flag === '--seconds' ? 0.1 : 1)) {
    usageError(`${flag} (or ${variable}) must be a positive number; got ${text}`);
  }
  return value;
}

/** The memcached binary: MEMCACHED_BIN, or `memcached` found on PATH. */
function findMemcached(): string | undefined {
  const explicit = process.env.MEMCACHED_BIN;
  const candidates = explicit
    ? [explicit]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, 'memcached'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fs.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

const binary = findMemcached();
if (binary === undefined) {
  console.error(
    [
      'The demo needs memcached, and it is not on PATH.',
      'Install it, then run the demo again:',
      '  Debian/Ubuntu:  sudo apt-get install memcached',
      '  macOS:          brew install memcached',
      '(or point MEMCACHED_BIN at a memcached binary)',
    ].join('\n'),
  );
  process.exit(1);
}

// Everything started is undone in reverse order, whether the demo ends, fails or is interrupted.
const cleanups: { name: string; run: () => Promise<void> }[] = [];
const interrupt = new AbortController();
let signalled: NodeJS.Signals | undefined;
let signalledAt = 0;
/** A signal repeated within this long is the same one delivered twice (to tools/demo.mjs's group and by it). */
const REPEAT_MS = 1_000;
function onSignal(signal: NodeJS.Signals): void {
  if (signalled !== undefined) {
    if (performance.now() - signalledAt < REPEAT_MS) return;
    // A second Ctrl-C: leave now. The testing kit still kills the memcached servers on exit.
    console.error(`\n${signal} again: exiting without waiting`);
    process.exit(130);
  }
  signalled = signal;
  signalledAt = performance.now();
  console.error(`\n${signal}: stopping what the demo started…`);
  interrupt.abort();
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

function checkInterrupted(): void {
  if (interrupt.signal.aborted) throw interrupt.signal.reason;
}

/** A section of the demo's story. */
function heading(text: string): void {
  console.log(`\n== ${text}`);
}

/** Asks the server for one key and shows the answer, and which client served it. */
async function show(url: string, key: string, { body = false } = {}): Promise<void> {
  const response = await fetch(`${url}/${key}`);
  const text = await response.text();
  console.log(`GET /${key} → ${response.status} (client ${response.headers.get('x-client')})`);
  if (body) console.log(text.trimEnd());
}

/** Runs the load against `url`, drawing the progress bar. */
function load(url: string, durationMs: number): Promise<LoadSummary> {
  return runLoad({
    url,
    keys: loadKeys(),
    connections,
    durationMs,
    signal: interrupt.signal,
    onProgress: progressReporter(),
  });
}

/** A paragraph of the demo's story, wrapped for a terminal. */
function say(text: string, width = 78): void {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  console.log([...lines, line].join('\n'));
}

/** What the FIFO pool's counters say about waiting for a client. */
function explainWaits(stats: ClientPoolStats): string {
  const shared = `${connections} connections shared ${clients} clients`;
  if (stats.waits === 0) {
    return `Why no request waited: ${shared}, but no more than ${clients} requests were ever in the server at once.`;
  }
  return (
    `Why the pool waited: ${shared}. When all ${clients} were lent out, a request waited for the next ` +
    `client given back, in arrival order (the server's pool waits: reserve: { block: true, timeoutMs: ` +
    `${DEFAULT_RESERVE_TIMEOUT_MS} }): ${stats.waits} of ${stats.reserves} reserves waited, at most ` +
    `${stats.maxWaiting} at once, and ${stats.timeouts} gave up (answered 503).`
  );
}

/** What the 404s of a load run are. */
function explainMisses(summary: LoadSummary): string {
  return (
    `The ${summary.statuses['404'] ?? 0} 404s are deliberate: one key in ten the load asks for is ` +
    'missing:<n>, which was never stored, to show a cache miss answered as "not found", not as an error.'
  );
}

/** What the mapped pool's counters say, next to the FIFO pool's run. */
function explainMapped(stats: MappedPoolStats, mapped: LoadSummary, fifo: LoadSummary): string {
  return (
    `One client per request: ${stats.clones} clones, each closed when its request's response ended ` +
    `(relinquished ${stats.relinquished}, still mapped ${stats.size}), where the FIFO pool lent its ` +
    `${clients} clients to ${fifo.requests} requests. Each clone opens a connection of its own: ` +
    `${mapped.requestsPerSecond.toFixed(0)} requests/s here, against ${fifo.requestsPerSecond.toFixed(0)} ` +
    'through the FIFO pool. Pick the mapped pool when everything one request does must share one ' +
    'connection (a transaction, per-request state); for independent reads like these, the FIFO pool ' +
    'or one shared client.'
  );
}

async function demo(): Promise<void> {
  say('clonepool demo: an HTTP cache over three memcached servers, through pools of clients (--help tells more).');

  heading('1. memcached');
  console.log(`memcached: ${binary}`);
  const memcached = await startServers(3, (server) => {
    console.log(`started memcached on ${server.address} (pid ${server.pid})`);
    cleanups.push({ name: `memcached ${server.address}`, run: () => server.stop() });
  });
  checkInterrupted();

  const seeder = new Client(memcached.addresses);
  cleanups.push({ name: 'seeding client', run: () => seeder.close() });
  const seeded = await seed(seeder);
  console.log(`seeded ${seeded} keys over ${memcached.addresses.length} servers`);
  say(
    `(${Object.keys(DOCUMENTS).length} documents and item:0 … item:${GENERATED_ITEMS - 1}; ` +
      'the client hashes each key to one of the servers)',
  );
  checkInterrupted();

  heading('2. The FIFO pool (@clonepool/fifo-pool)');
  const fifo: CacheServer = createCacheServer({ servers: memcached.addresses, concurrency: clients });
  cleanups.push({ name: 'FIFO HTTP server and its pool', run: () => fifo.close() });
  const fifoUrl = await fifo.listen(0);
  say(
    `HTTP server on ${fifoUrl}: GET /<key> borrows one of a ClientPool's ${clients} clients (clones of ` +
      'one Client), reads the key, and gives the client back for the next request.',
  );
  await show(fifoUrl, 'user:ada', { body: true });
  await show(fifoUrl, 'missing:0');
  checkInterrupted();

  console.log(`load: ${connections} connections for ${seconds} s against ${clients} clients…`);
  const fifoRun = await load(fifoUrl, seconds * 1000);
  const fifoStats = fifo.pool.stats() as ClientPoolStats;
  console.log(formatSummary(fifoRun, fifoStats));
  checkInterrupted();
  say(explainWaits(fifoStats));
  say(explainMisses(fifoRun));

  heading('3. The mapped pool (@clonepool/mapped-pool)');
  const mapped: CacheServer = createCacheServer({
    servers: memcached.addresses,
    concurrency: clients,
    strategy: 'mapped',
  });
  cleanups.push({ name: 'mapped HTTP server and its pool', run: () => mapped.close() });
  const mappedUrl = await mapped.listen(0);
  say(
    `HTTP server on ${mappedUrl}: each request runs in an async context of its own (withContext), and ` +
      `a MappedPool gives it a client of its own (at most ${clients} at once), closed when its response ends.`,
  );
  await show(mappedUrl, 'user:ada');
  await show(mappedUrl, 'user:alan');
  checkInterrupted();

  const mappedSeconds = Math.max(1, seconds / 2);
  console.log(`load: ${connections} connections for ${mappedSeconds} s against at most ${clients} clients…`);
  const mappedRun = await load(mappedUrl, mappedSeconds * 1000);
  // A scope's client is closed on the turn after its response ends.
  await nextTurn();
  const mappedStats = mapped.pool.stats() as MappedPoolStats;
  console.log(formatSummary(mappedRun, mappedStats));
  checkInterrupted();
  say(explainMapped(mappedStats, mappedRun, fifoRun));
}

/** Draws the bar in place on a terminal; elsewhere (CI logs, pipes) prints it at each quarter. */
function progressReporter(): (fraction: number, done: number) => void {
  const tty = process.stderr.isTTY === true;
  let lastQuarter = -1;
  return (fraction, done) => {
    const line = `${progressBar(fraction)} ${done} requests`;
    if (tty) {
      process.stderr.write(`\r${line}${fraction >= 1 ? '\n' : ''}`);
      return;
    }
    const quarter = Math.floor(fraction * 4);
    if (quarter > lastQuarter) {
      lastQuarter = quarter;
      process.stderr.write(`${line}\n`);
    }
  };
}

let failed = false;
try {
  await demo();
} catch (error) {
  if (!interrupt.signal.aborted) {
    failed = true;
    console.error('the demo failed:', error instanceof Error ? error.message : error);
  }
} finally {
  const stopped: string[] = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup.run();
      stopped.push(cleanup.name);
    } catch (error) {
      failed = true;
      console.error(`could not stop ${cleanup.name}:`, error);
    }
  }
  console.log(`stopped: ${stopped.join(', ') || 'nothing was running'}`);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
process.exitCode = signalled !== undefined ? 128 + constants.signals[signalled] : failed ? 1 : 0;
