// The raw-socket ceiling: pre-encoded `get` commands pipelined on one socket
// with a fixed number in flight, replies only counted. No client does less
// work per get than this, so "ours vs raw" says how much of the machine's
// (client + server) capacity our driver leaves unused.
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
  return { buffer: Buffer.concat([one, one]), count: commands.length, width: one.length / commands.length };
}

const args = caseArgs();
const { shape, servers, size, keyCount, concurrency = 1, warmupMs, durationMs } = args;
if (servers.length !== 1) throw new Error('the raw ceiling runs against one server');
const keys = benchKeys(size, keyCount);
const perCall = shape === 'multi' ? args.multiKeys : 1;
const commands =
  shape === 'multi' ? keyGroups(keys, perCall).map((g) => `get ${g.join(' ')}\r\n`) : keys.map((k) => `get ${k}\r\n`);
const encoded = encodeTwice(commands);
if (!Number.isInteger(encoded.width)) throw new Error('pre-encoded commands must all have the same length');

const [host, port] = servers[0].split(':');
const socket = net.connect(Number(port), host);
socket.setNoDelay(true);
await once(socket, 'connect');

const counter = new ReplyCounter(size);
const window = shape === 'latency' ? 1 : concurrency;
let sent = 0;
let position = 0;
let running = true;
const latencies = shape === 'latency' ? new Float64Array(4_000_000) : null;
let recording = false;
let recorded = 0;
let sentAt = 0;

function send(n) {
  // Timed from before the write, as a client's call is: the write syscall is part of the round trip.
  sentAt = performance.now();
  while (n > 0) {
    const k = Math.min(n, encoded.count);
    socket.write(encoded.buffer.subarray(position * encoded.width, (position + k) * encoded.width));
    position = (position + k) % encoded.count;
    sent += k;
    n -= k;
  }
}

let drained;
// With many in flight, the commands owed for every reply read in one event-loop turn go out in one write
// (what the fastest clients do): the server then reads them in one go. With one in flight, at once.
let owed = 0;
let flushScheduled = false;
function flushOwed() {
  flushScheduled = false;
  const n = owed;
  owed = 0;
  if (running) send(n);
  else if (counter.replies === sent) drained?.();
}
socket.on('data', (chunk) => {
  const before = counter.replies;
  counter.push(chunk);
  const done = counter.replies - before;
  if (done === 0) return;
  if (latencies && recording && recorded < latencies.length)
    latencies[recorded++] = (performance.now() - sentAt) * 1_000;
  if (!running) {
    if (counter.replies === sent) drained?.();
  } else if (window > 1) {
    owed += done;
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushOwed);
    }
  } else send(done);
});

send(window);
await sleep(warmupMs);
recording = true;
const startReplies = counter.replies;
const startCpu = process.cpuUsage();
const start = performance.now();
await sleep(durationMs);
const ops = counter.replies - startReplies;
const cpu = process.cpuUsage(startCpu);
const seconds = (performance.now() - start) / 1_000;
running = false;
if (counter.replies !== sent) await new Promise((resolve) => (drained = resolve));
socket.destroy();

const bad = counter.wrongSize + (counter.replies * perCall - counter.values);
const result = {
  client: 'raw',
  ...args,
  ops,
  seconds,
  opsPerSec: ops / seconds,
  cpuUsPerOp: (cpu.user + cpu.system) / ops,
  cpuUtilisation: (cpu.user + cpu.system) / 1e6 / seconds,
  totalOps: counter.replies,
  bad,
  errors: counter.error ? 1 : 0,
  firstError: counter.error,
};
if (shape === 'multi') result.keysPerSec = result.opsPerSec * perCall;
if (latencies) {
  const values = Array.from(latencies.subarray(0, recorded));
  Object.assign(result, {
    ops: recorded,
    opsPerSec: recorded / seconds,
    cpuUsPerOp: (cpu.user + cpu.system) / recorded,
    p50Us: percentile(values, 50),
    p90Us: percentile(values, 90),
    p99Us: percentile(values, 99),
    meanUs: values.reduce((a, b) => a + b, 0) / recorded,
  });
}
report(result);
if (bad > 0 || counter.error) {
  console.error(`raw ${shape}: ${bad} missing or wrong values; first error reply: ${counter.error ?? 'none'}`);
  process.exitCode = 1;
}
