// The README's demo, from a fresh machine: start three memcached servers, seed
// a few documents, serve them over HTTP through a ClientPool, run a short load
// with a progress bar, print the summary, and stop everything it started,
// also when interrupted (Ctrl-C).
//
// DEMO_SECONDS (default 4), DEMO_CONNECTIONS (default 32) and DEMO_CONCURRENCY
// (the pool's size, default 8) tune it.
import { accessSync, constants as fs } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from '@clonepool/memcached';
import { loadKeys, seed } from './documents.js';
import { fetchStats, formatSummary, progressBar, runLoad } from './load.js';
import { startServers } from './memcached.js';
import { type CacheServer, createCacheServer } from './server.js';

const seconds = positive('DEMO_SECONDS', 4);
const connections = positive('DEMO_CONNECTIONS', 32);
const concurrency = positive('DEMO_CONCURRENCY', 8);

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number; got ${text}`);
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

async function demo(): Promise<void> {
  console.log(`memcached: ${binary}`);
  const memcached = await startServers(3, (server) => {
    console.log(`started memcached on ${server.address} (pid ${server.pid})`);
    cleanups.push({ name: `memcached ${server.address}`, run: () => server.stop() });
  });
  checkInterrupted();

  const seeder = new Client(memcached.addresses);
  cleanups.push({ name: 'seeding client', run: () => seeder.close() });
  console.log(`seeded ${await seed(seeder)} keys over ${memcached.addresses.length} servers`);
  checkInterrupted();

  const app: CacheServer = createCacheServer({ servers: memcached.addresses, concurrency });
  cleanups.push({ name: 'HTTP server and its pool', run: () => app.close() });
  const url = await app.listen(0);
  console.log(`HTTP server on ${url}, a pool of ${concurrency} clients`);
  const sample = await fetch(`${url}/user:ada`);
  console.log(`GET /user:ada → ${sample.status}\n${(await sample.text()).trimEnd()}`);
  checkInterrupted();

  console.log(`load: ${connections} connections for ${seconds} s…`);
  const bar = progressReporter();
  const summary = await runLoad({
    url,
    keys: loadKeys(),
    connections,
    durationMs: seconds * 1000,
    signal: interrupt.signal,
    onProgress: bar,
  });
  console.log(formatSummary(summary, await fetchStats(url)));
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
