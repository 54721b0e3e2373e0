// The two shapes every fifo-* case measures, so each library runs the same
// loop: `acquire()` resolves to (or is) a client, `release(client)` gives it back.
//   single:    one caller, reserve + release back to back (and bytes per cycle);
//   contended: `callers` concurrent loops sharing `clients` clients, each
//              holding its client for one await; throughput and wait percentiles.
import { bytesPerOp, caseArgs, percentile, report, throughput } from '../lib/harness.mjs';

const WAIT_SAMPLES = 1 << 20;

/** Runs the shape named in the case args against `make(clients)` → { acquire, release, close }. */
export async function runShape(make) {
  const { shape, clients = 10, callers = 1_000, warmupMs = 500, durationMs = 2_000 } = caseArgs();
  const subject = await make(clients);
  let result;
  if (shape === 'single') {
    const op = async () => {
      const client = await subject.acquire();
      subject.release(client);
    };
    const { opsPerSec } = await throughput(op, { warmupMs, durationMs });
    result = { opsPerSec, bytesPerCycle: await bytesPerOp(op) };
  } else if (shape === 'contended') {
    result = await contended(subject, callers, warmupMs, durationMs);
  } else {
    throw new Error(`unknown shape ${shape}`);
  }
  await subject.close();
  report(result);
}

async function contended(subject, callers, warmupMs, durationMs) {
  // Wait times in µs, a ring of the most recent samples of the measured window.
  const waits = new Float64Array(WAIT_SAMPLES);
  let samples = 0;
  let cycles = 0;
  let measuring = false;
  const caller = async (end) => {
    for (let now = performance.now(); now < end; ) {
      const client = await subject.acquire();
      const served = performance.now();
      if (measuring) {
        waits[samples++ & (WAIT_SAMPLES - 1)] = (served - now) * 1_000;
        cycles++;
      }
      await null; // hold the client for one turn, as a caller doing work would
      subject.release(client);
      now = performance.now();
    }
  };
  const run = (ms) => {
    const end = performance.now() + ms;
    return Promise.all(Array.from({ length: callers }, () => caller(end)));
  };
  await run(warmupMs);
  measuring = true;
  const start = performance.now();
  await run(durationMs);
  const seconds = (performance.now() - start) / 1_000;
  const recorded = Array.from(waits.subarray(0, Math.min(samples, WAIT_SAMPLES)));
  return {
    opsPerSec: cycles / seconds,
    p50WaitUs: percentile(recorded, 50),
    p99WaitUs: percentile(recorded, 99),
    maxWaitUs: percentile(recorded, 100),
  };
}
