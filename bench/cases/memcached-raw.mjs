// The raw-socket ceilings: pre-encoded commands pipelined on one bare socket per
// server with a fixed number in flight, replies only counted. No client does less
// work per get than this, so "ours vs raw" says how much of the machine's
// (client + server) capacity our driver leaves unused.
//
// - `get` shapes: `get k` per key (the per-key ceiling), or, with `mergeKeys`, the
//   same keys in flight sent as `get k1 … kN` lines of up to `mergeKeys` keys (the
//   merged ceiling: what a client that merged every get perfectly, for free, would
//   get). Over several servers, one socket per server, the keys in flight split
//   evenly between them; every server holds every key.
// - `multi`: `concurrency` lines of `multiKeys` keys in flight on one socket.
// - `latency`: one `get k` at a time, each timed from its write to its reply.
//
// Replies are counted by reading each VALUE line's byte count and skipping the
// body by length (never scanning it), resuming a header split across chunks.

import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { caseArgs, percentile, report } from '../lib/harness.mjs';
import { benchKeys } from '../lib/memcached-server.mjs';
import { keyGroups } from './memcached-shapes.mjs';

const LF = 0x0a;
const V = 0x56; // VALUE
const E = 0x45; // END
const SPACE = 0x20;

/** Counts complete get replies (`END\r\n`), the values in them and values of the wrong size. */
class ReplyCounter {
  constructor(size) {
    this.size = size;
    this.replies = 0;
    this.values = 0;
    this.wrongSize = 0;
    this.skip = 0; // bytes of a value body (and its CRLF) still to skip
    this.partial = null; // the start of a header line cut by the end of a chunk
    this.error = undefined;
  }

  push(chunk) {
    let at = 0;
    const length = chunk.length;
    while (at < length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const eol = chunk.indexOf(LF, at);
      if (eol === -1) {
        this.partial = this.partial
          ? Buffer.concat([this.partial, chunk.subarray(at)])
          : Buffer.from(chunk.subarray(at));
        return;
      }
      if (this.partial) {
        const line = Buffer.concat([this.partial, chunk.subarray(at, eol + 1)]);
        this.partial = null;
        this.line(line, 0, line.length - 1);
      } else {
        this.line(chunk, at, eol);
      }
      at = eol + 1;
    }
  }

  // One header line: buf[start..eol] ends with "\r\n" (eol is the LF).
  line(buf, start, eol) {
    if (buf[start] === V) {
      // VALUE <key> <flags> <bytes>\r\n: the byte count is the last token.
      let bytes = 0;
      let scale = 1;
      for (let i = eol - 2; buf[i] !== SPACE; i--, scale *= 10) bytes += (buf[i] - 0x30) * scale;
      this.values++;
      if (bytes !== this.size) this.wrongSize++;
      this.skip = bytes + 2;
    } else if (buf[start] === E && eol - start === 4) {
      this.replies++;
    } else {
      this.error ??= buf.toString('latin1', start, eol - 1);
      this.replies++;
    }
  }
}

/** Each command in `commands` (all the same length) twice over, so any run of up to `commands.length` wraps without a copy. */
function encodeTwice(commands) {
  const one = Buffer.from(commands.join(''), 'latin1');
  const width = one.length / commands.length;
  if (!Number.isInteger(width)) throw new Error('pre-encoded commands must all have the same length');
  return { buffer: Buffer.concat([one, one]), count: commands.length, width };
}

const args = caseArgs();
const { shape, servers, size, keyCount, concurrency = 1, warmupMs, durationMs, mergeKeys } = args;
if (shape !== 'get' && servers.length !== 1) throw new Error(`the raw ${shape} ceiling runs against one server`);
const keys = benchKeys(size, keyCount);
const latency = shape === 'latency';
let running = true;
let recording = false;

/**
 * One bare socket to `server` keeping `window` commands of `perLine` keys in flight:
 * the commands owed for all the replies read in one event-loop turn go out in one write
 * (what the fastest clients do; in a trial this gave about 10% more than writing after
 * each chunk), or at once with one in flight.
 */
class RawSocket {
  constructor(server, perLine, window) {
    this.perLine = perLine;
    this.window = window;
    const lines = perLine === 1 ? keys.map((key) => [key]) : keyGroups(keys, perLine);
    this.encoded = encodeTwice(lines.map((group) => `get ${group.join(' ')}\r\n`));
    this.counter = new ReplyCounter(size);
    this.sent = 0;
    this.position = 0;
    this.owed = 0;
    this.flushScheduled = false;
    this.drained = null;
    this.sentAt = 0;
    this.latencies = latency ? new Float64Array(4_000_000) : null;
    this.recorded = 0;
    const [host, port] = server.split(':');
    this.socket = net.connect(Number(port), host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk) => this.#onData(chunk));
  }

  send(n) {
    // Timed from before the write, as a client's call is: the write syscall is part of the round trip.
    this.sentAt = performance.now();
    const { encoded } = this;
    while (n > 0) {
      const k = Math.min(n, encoded.count);
      this.socket.write(encoded.buffer.subarray(this.position * encoded.width, (this.position + k) * encoded.width));
      this.position = (this.position + k) % encoded.count;
      this.sent += k;
      n -= k;
    }
  }

  #flushOwed = () => {
    this.flushScheduled = false;
    const n = this.owed;
    this.owed = 0;
    if (running) this.send(n);
    else if (this.counter.replies === this.sent) this.drained?.();
  };

  #onData(chunk) {
    const before = this.counter.replies;
    this.counter.push(chunk);
    const done = this.counter.replies - before;
    if (done === 0) return;
    if (this.latencies && recording && this.recorded < this.latencies.length)
      this.latencies[this.recorded++] = (performance.now() - this.sentAt) * 1_000;
    if (!running) {
      if (this.counter.replies === this.sent) this.drained?.();
    } else if (this.window > 1) {
      this.owed += done;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.#flushOwed);
      }
    } else this.send(done);
  }

  /** Resolves once every command sent has its reply, then closes the socket. */
  async drain() {
    if (this.counter.replies !== this.sent) await new Promise((resolve) => (this.drained = resolve));
    this.socket.destroy();
  }
}

/** The sockets: one per server, with the keys in flight split between them. */
function sockets() {
  if (shape === 'multi') return [new RawSocket(servers[0], args.multiKeys, concurrency)];
  if (latency) return [new RawSocket(servers[0], 1, 1)];
  return servers.map((server, i) => {
    const inFlight = Math.floor(concurrency / servers.length) + (i < concurrency % servers.length ? 1 : 0);
    const perLine = mergeKeys ? Math.min(mergeKeys, inFlight) : 1;
    return new RawSocket(server, perLine, Math.ceil(inFlight / perLine));
  });
}

const all = sockets();
await Promise.all(all.map((s) => once(s.socket, 'connect')));
/** What one reply counts for: a call of `multi`, else the gets it answers. */
const unitsOf = (s) => (shape === 'multi' ? 1 : s.perLine);
const units = () => all.reduce((sum, s) => sum + s.counter.replies * unitsOf(s), 0);

for (const s of all) s.send(s.window);
await sleep(warmupMs);
recording = true;
const startUnits = units();
const startCpu = process.cpuUsage();
const start = performance.now();
await sleep(durationMs);
const ops = units() - startUnits;
const cpu = process.cpuUsage(startCpu);
const seconds = (performance.now() - start) / 1_000;
running = false;
await Promise.all(all.map((s) => s.drain()));

const bad = all.reduce((sum, s) => sum + s.counter.wrongSize + (s.counter.replies * s.perLine - s.counter.values), 0);
const error = all.map((s) => s.counter.error).find((e) => e !== undefined);
const result = {
  client: mergeKeys ? 'raw-merged' : 'raw',
  ...args,
  keysPerLine: all.map((s) => s.perLine),
  ops,
  seconds,
  opsPerSec: ops / seconds,
  cpuUsPerOp: (cpu.user + cpu.system) / ops,
  cpuUtilisation: (cpu.user + cpu.system) / 1e6 / seconds,
  totalOps: units(),
  bad,
  errors: error ? 1 : 0,
  firstError: error,
};
if (shape === 'multi') result.keysPerSec = result.opsPerSec * args.multiKeys;
if (latency) {
  const [s] = all;
  const values = Array.from(s.latencies.subarray(0, s.recorded));
  Object.assign(result, {
    ops: s.recorded,
    opsPerSec: s.recorded / seconds,
    cpuUsPerOp: (cpu.user + cpu.system) / s.recorded,
    p50Us: percentile(values, 50),
    p90Us: percentile(values, 90),
    p99Us: percentile(values, 99),
    meanUs: values.reduce((a, b) => a + b, 0) / s.recorded,
  });
}
report(result);
if (bad > 0 || error) {
  console.error(`raw ${shape}: ${bad} missing or wrong values; first error reply: ${error ?? 'none'}`);
  process.exitCode = 1;
}
