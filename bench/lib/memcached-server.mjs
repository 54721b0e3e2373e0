// memcached for the benchmarks: starts private servers on free loopback ports
// (never 11211, never one we did not start), kills them on exit or interruption,
// seeds keys over a raw socket and reads the servers' own hit/miss counters,
// so a case that measured misses can be caught by the server's account too.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const MEMCACHED = process.env.MEMCACHED_BIN ?? '/usr/bin/memcached';
/** How long a started server may take to accept its first connection. */
const START_TIMEOUT_MS = 5_000;

const running = new Set();
let cleanupInstalled = false;

/** Kills `child` (a server we started) when this process ends, however it ends. */
function killOnExit(child) {
  installCleanup();
  running.add(child);
  child.once('exit', () => running.delete(child));
}

// Every server we start dies with us, however we stop: normal exit, an
// uncaught error, Ctrl-C or a kill from the harness.
function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** A free TCP port on 127.0.0.1, found by listening on port 0. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Waits until `child`, a server just spawned to listen on `port`, accepts connections, and
 * resolves to its `stop()`; to `undefined` (it is killed) if it exited or did not listen in time.
 * It dies with this process, however this process ends.
 */
export async function listening(child, port) {
  killOnExit(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!exited && Date.now() < deadline && !(await canConnect(port))) await sleep(20);
  if (exited || Date.now() >= deadline) {
    child.kill('SIGKILL');
    return undefined;
  }
  return () =>
    new Promise((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/**
 * Starts one memcached on a free loopback port; resolves to
 * `{ host, port, address, stop() }` once it accepts connections.
 */
export async function startMemcached({ threads = 2, memoryMb = 512, maxConnections = 4096 } = {}) {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-t', String(threads)];
    args.push('-m', String(memoryMb), '-c', String(maxConnections));
    // memcached refuses to run as root without a user to drop to.
    if (process.getuid?.() === 0) args.unshift('-u', 'nobody');
    const child = spawn(MEMCACHED, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    const stop = await listening(child, port);
    if (stop !== undefined) return { host: '127.0.0.1', port, address: `127.0.0.1:${port}`, pid: child.pid, stop };
    // Another process may have taken the port between our probe and memcached's bind.
    if (attempt >= 2) throw new Error(`memcached did not start on port ${port}: ${stderr.trim() || 'no output'}`);
  }
}

/** Starts `count` servers; resolves to them in start order. */
export async function startMemcachedServers(count, options) {
  const servers = [];
  for (let i = 0; i < count; i++) servers.push(await startMemcached(options));
  return servers;
}

/** Sends `request` on a fresh socket and resolves to the whole reply once `isComplete(reply)` holds. */
function exchange(address, request, isComplete) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host);
    const chunks = [];
    let length = 0;
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      length += chunk.length;
      const reply = Buffer.concat(chunks, length);
      if (isComplete(reply)) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.write(request);
  });
}

/**
 * Stores `values` (a Map of key → Buffer, flags 0) on the server at `address`
 * in one pipelined write, and checks that every one of them was STORED.
 */
export async function seed(address, values) {
  const parts = [];
  for (const [key, value] of values) {
    parts.push(Buffer.from(`set ${key} 0 0 ${value.length}\r\n`), value, Buffer.from('\r\n'));
  }
  const expected = values.size;
  const stored = Buffer.from('STORED\r\n');
  const count = (reply) => {
    let n = 0;
    for (let at = reply.indexOf(stored); at !== -1; at = reply.indexOf(stored, at + stored.length)) n++;
    return n;
  };
  // Any reply other than STORED (an error line) also ends a line, so count lines too.
  const lines = (reply) => reply.toString('latin1').split('\r\n').length - 1;
  const reply = await exchange(address, Buffer.concat(parts), (r) => lines(r) >= expected);
  const ok = count(reply);
  if (ok !== expected) {
    const sample = reply
      .toString('latin1')
      .split('\r\n')
      .find((line) => line !== 'STORED');
    throw new Error(`seeding ${address}: ${ok} of ${expected} values stored (first other reply: ${sample})`);
  }
}

/** The server's `stats` as an object of strings. */
export async function stats(address) {
  const reply = await exchange(address, 'stats\r\n', (r) => r.toString('latin1').endsWith('END\r\n'));
  const result = {};
  for (const line of reply.toString('latin1').split('\r\n')) {
    const [tag, name, value] = line.split(' ');
    if (tag === 'STAT') result[name] = value;
  }
  return result;
}

/** Sums `get_hits` and `get_misses` over `addresses` (to compare before and after a case). */
export async function getCounters(addresses) {
  const total = { hits: 0, misses: 0, perServer: [] };
  for (const address of addresses) {
    const s = await stats(address);
    const hits = Number(s.get_hits);
    const misses = Number(s.get_misses);
    total.hits += hits;
    total.misses += misses;
    total.perServer.push({ address, hits, misses });
  }
  return total;
}

/**
 * The keys the suite seeds: `count` keys of values of `size` bytes, all the
 * same length so that pre-encoded commands have one size too.
 */
export function benchKeys(size, count) {
  const keys = [];
  for (let i = 0; i < count; i++) keys.push(`bench:${size}:${String(i).padStart(6, '0')}`);
  return keys;
}

/** The value the suite stores under every key of `size` bytes (ASCII, so string-decoding clients round-trip it). */
export function benchValue(size) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < size; i++) s += alphabet[i % alphabet.length];
  return Buffer.from(s, 'latin1');
}

/** Seeds the bench data set: `count` keys of each size in `sizes`. */
export async function seedBenchData(address, { sizes = [100, 10 * 1024], count = 1_000 } = {}) {
  for (const size of sizes) await seed(address, new Map(benchKeys(size, count).map((k) => [k, benchValue(size)])));
}

// `node bench/lib/memcached-server.mjs`: a seeded server to run or profile one case against, until Ctrl-C.
if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startMemcached();
  await seedBenchData(server.address);
  console.log(`memcached ${server.address} (pid ${server.pid}) seeded; Ctrl-C stops it`);
  setInterval(() => {}, 1 << 30);
}
