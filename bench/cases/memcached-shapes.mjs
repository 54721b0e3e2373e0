// The load shapes every memcached client case runs, written once so each
// client is driven by the same loop. A case script (memcached-<client>.mjs)
// only says how its client connects, gets one key and gets many, then calls
// runCase(); the suite picks the shape and servers through caseArgs().
//
// Every case checks what it got: a reply that is a miss, has the wrong length
// or an error is counted, and a case with any fails (exits non-zero) after
// reporting, so a fast figure made of misses can never pass as a result.
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { caseArgs, percentile, report } from '../lib/harness.mjs';
import { benchKeys } from '../lib/memcached-server.mjs';

/** Groups of `size` distinct keys, taken in turn from `keys` (multi-get shapes). */
export function keyGroups(keys, size) {
  const groups = [];
  for (let i = 0; i + size <= keys.length; i += size) groups.push(keys.slice(i, i + size));
  return groups;
}

/** Counts calls, their results and the CPU they cost in the measured window only. */
function makeTally() {
  return { ops: 0, bad: 0, errors: 0, firstError: undefined, firstBad: undefined };
}

/**
 * A closed loop: `concurrency` workers each await `call()` after `call()`.
 * `call` resolves to true when the reply was what the suite stored.
 * Returns ops/s and CPU µs/op of the measured window (after `warmupMs`).
 */
export async function closedLoop(call, { concurrency, warmupMs, durationMs }) {
  const tally = makeTally();
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        if (!(await call())) tally.bad++;
      } catch (error) {
        tally.errors++;
        tally.firstError ??= error;
      }
      tally.ops++;
    }
  };
  const workers = [];
  for (let i = 0; i < concurrency; i++) workers.push(worker());
  await sleep(warmupMs);
  const startOps = tally.ops;
  const startCpu = process.cpuUsage();
  const start = performance.now();
  await sleep(durationMs);
  const ops = tally.ops - startOps;
  const cpu = process.cpuUsage(startCpu);
  const seconds = (performance.now() - start) / 1_000;
  running = false;
  await Promise.all(workers);
  return {
    ops,
    seconds,
    opsPerSec: ops / seconds,
    cpuUsPerOp: (cpu.user + cpu.system) / ops,
    cpuUtilisation: (cpu.user + cpu.system) / 1e6 / seconds,
    totalOps: tally.ops,
    bad: tally.bad,
    errors: tally.errors,
    firstError: tally.firstError ? String(tally.firstError?.stack ?? tally.firstError) : undefined,
  };
}

/**
 * `concurrency` workers (one by default), each timing its calls one after another: per-call
 * latency in µs over the measured window (after `warmupMs`), and calls per second.
 */
export async function timedCalls(call, { warmupMs, durationMs, concurrency = 1 }) {
  const tally = makeTally();
  const samples = new Float64Array(4_000_000);
  let n = 0;
  const timed = async (record) => {
    const t0 = performance.now();
    let ok = false;
    try {
      ok = await call();
    } catch (error) {
      tally.errors++;
      tally.firstError ??= error;
    }
    const t1 = performance.now();
    if (!ok) tally.bad++;
    tally.ops++;
    if (record && n < samples.length) samples[n++] = (t1 - t0) * 1_000;
  };
  const workers = (until, record) =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) await timed(record);
      }),
    );
  await workers(performance.now() + warmupMs, false);
  const startCpu = process.cpuUsage();
  const start = performance.now();
  await workers(start + durationMs, true);
  const cpu = process.cpuUsage(startCpu);
  const seconds = (performance.now() - start) / 1_000;
  const values = Array.from(samples.subarray(0, n));
  return {
    ops: n,
    seconds,
    opsPerSec: n / seconds,
    cpuUsPerOp: (cpu.user + cpu.system) / n,
    p50Us: percentile(values, 50),
    p90Us: percentile(values, 90),
    p99Us: percentile(values, 99),
    meanUs: values.reduce((a, b) => a + b, 0) / n,
    totalOps: tally.ops,
    bad: tally.bad,
    errors: tally.errors,
    firstError: tally.firstError ? String(tally.firstError?.stack ?? tally.firstError) : undefined,
  };
}

/**
 * What one call allocates on the JS heap, at `concurrency` calls in flight: over `count`
 * calls, the growth of the heap's used bytes plus what every garbage collection in between
 * freed (from `v8.GCProfiler`, which records the heap before and after each), divided by
 * `count`. Buffer contents live outside the heap and are not counted.
 */
export async function allocationPerCall(call, concurrency, count = 20_000) {
  globalThis.gc();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started++ < count) await call();
    }),
  );
  const after = v8.getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  let freed = 0;
  for (const gc of statistics)
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return { heapBytesPerOp: (after - before + freed) / count, allocationCalls: count };
}

function memorySample(ops) {
  globalThis.gc();
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  // The V8 heap's resident pages: heapTotal counts committed pages, which need not be resident yet.
  const heapPhysical = v8.getHeapStatistics().total_physical_size;
  return { ops, rss, heapTotal, heapPhysical, heapUsed, external, arrayBuffers };
}

/**
 * `concurrency` workers run `totalOps` calls in all after `warmupOps`; memory
 * (after a full GC) is sampled after warm-up and every `totalOps / samples` calls.
 */
export async function memoryRun(call, { concurrency, warmupOps, totalOps, samples = 8 }) {
  const tally = makeTally();
  let target = warmupOps;
  const points = [];
  const run = async () => {
    const worker = async () => {
      while (tally.ops < target) {
        tally.ops++;
        try {
          if (!(await call())) tally.bad++;
        } catch (error) {
          tally.errors++;
          tally.firstError ??= error;
        }
      }
    };
    const workers = [];
    for (let i = 0; i < concurrency; i++) workers.push(worker());
    await Promise.all(workers);
  };
  await run();
  const base = tally.ops;
  points.push(memorySample(0));
  const start = performance.now();
  for (let i = 1; i <= samples; i++) {
    target = base + Math.round((totalOps * i) / samples);
    await run();
    points.push(memorySample(tally.ops - base));
  }
  const seconds = (performance.now() - start) / 1_000;
  const ops = tally.ops - base;
  return {
    ops,
    seconds,
    opsPerSec: ops / seconds,
    points,
    totalOps: tally.ops,
    bad: tally.bad,
    errors: tally.errors,
    firstError: tally.firstError ? String(tally.firstError?.stack ?? tally.firstError) : undefined,
  };
}

/**
 * Runs the shape named in caseArgs() with the client `connect` makes, reports
 * the result, and exits non-zero if any reply was a miss, wrong or an error.
 *
 * `connect(servers, isValue)` resolves to `{ get(key) → value | null | undefined,
 * getMulti(keys) → number of values for which isValue(value) holds, close() }`;
 * values are Buffers or strings.
 */
export async function runCase(name, connect) {
  const args = caseArgs();
  const { shape, servers, size, keyCount } = args;
  const keys = benchKeys(size, keyCount);
  const isValue = (value) => value != null && value.length === size;
  if (shape === 'probe') return probe(name, connect, keys, args.multiKeys, servers, isValue);
  const client = await connect(servers, isValue);
  let next = 0;
  const getOne = async () => isValue(await client.get(keys[next++ % keys.length]));
  let result;
  if (shape === 'get' || shape === 'latency' || shape === 'memory') {
    if (shape === 'get') result = await closedLoop(getOne, args);
    else if (shape === 'latency') result = await timedCalls(getOne, args);
    else result = await memoryRun(getOne, args);
    // Checked like the measured calls: a miss or an error here fails the case too.
    const checked = async () => {
      if (!(await getOne())) throw new Error('a get in the allocation window missed');
    };
    if (shape !== 'memory') {
      Object.assign(result, await allocationPerCall(checked, args.concurrency ?? 1));
      // The server counts these gets too.
      result.totalOps += result.allocationCalls;
    }
  } else if (shape === 'multi') {
    const groups = keyGroups(keys, args.multiKeys);
    const getMany = async () => (await client.getMulti(groups[next++ % groups.length])) === args.multiKeys;
    result = await closedLoop(getMany, args);
    result.keysPerSec = result.opsPerSec * args.multiKeys;
  } else {
    throw new Error(`unknown shape ${shape}`);
  }
  await client.close();
  reportCase(name, args, result);
}

/**
 * Reports a case's `result` to the suite, fails the case (non-zero exit) if
 * any call missed, was wrong or failed, and ends the process soon after: a
 * client that keeps a socket or timer after closing must not hold it open.
 */
export function reportCase(name, args, result) {
  report({ client: name, ...args, ...result });
  if (result.bad > 0 || result.errors > 0) {
    console.error(
      `${name} ${args.shape}: ${result.bad} wrong or missing replies and ${result.errors} errors in ${result.totalOps} calls` +
        (result.firstError ? `; first error: ${result.firstError}` : ''),
    );
    process.exitCode = 1;
  }
  setTimeout(() => process.exit(), 1_000).unref();
}

/** Whether the client works at all: one get and one multi-get of seeded keys; reports `{ failed }` with the reason if not. */
async function probe(name, connect, keys, multiKeys, servers, isValue) {
  let failed;
  try {
    const client = await connect(servers, isValue);
    try {
      const value = await client.get(keys[0]);
      if (!isValue(value)) failed = `get(${keys[0]}) returned ${String(value).slice(0, 40)}`;
      const hits = await client.getMulti(keys.slice(0, multiKeys));
      if (!failed && hits !== multiKeys) failed = `getMulti of ${multiKeys} seeded keys returned ${hits} values`;
    } finally {
      await client.close();
    }
  } catch (error) {
    failed = `${error?.name}: ${error?.message}`;
  }
  report({ client: name, shape: 'probe', failed });
  setTimeout(() => process.exit(), 1_000).unref();
}
