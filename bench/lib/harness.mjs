// The bench harness: every case runs in a fresh Node process (so one library's
// JIT and heap state never shape another's), reports one JSON line, and the
// parent prints tables and ratios measured in the same run.
import { spawn } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Node flags for a case process: gc() for allocation counts, a young generation large enough that one measured window fits in it. */
export const CASE_NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=128'];

/**
 * Parent side: runs `file` (a case script) in a fresh process with `args`
 * (JSON, read by the case with `caseArgs()`), and resolves to the JSON it reported.
 */
export function runIsolated(file, args = {}, { env = {}, timeoutMs = 120_000 } = {}) {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CASE_NODE_FLAGS, path], {
      env: { ...process.env, ...env, BENCH_ARGS: JSON.stringify(args) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) {
        reject(new Error(`bench case ${path} ${JSON.stringify(args)} exited with ${signal ?? code}`));
        return;
      }
      resolve(JSON.parse(line));
    });
  });
}

/** Case side: the arguments the parent passed. */
export function caseArgs() {
  return JSON.parse(process.env.BENCH_ARGS ?? '{}');
}

/** Case side: report the result to the parent (one JSON line on stdout). */
export function report(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * Case side: calls `op` (sync or async) back to back for `durationMs` after a
 * `warmupMs` warm-up, and returns operations per second.
 */
export async function throughput(op, { warmupMs = 500, durationMs = 2_000 } = {}) {
  const until = (ms) => performance.now() + ms;
  for (let end = until(warmupMs); performance.now() < end; ) for (let i = 0; i < 1_000; i++) await op();
  let ops = 0;
  const start = performance.now();
  for (let end = start + durationMs; performance.now() < end; ops += 1_000) for (let i = 0; i < 1_000; i++) await op();
  const seconds = (performance.now() - start) / 1_000;
  return { ops, seconds, opsPerSec: ops / seconds };
}

/**
 * Case side: bytes allocated on the JS heap per call of `op`, from the heap
 * growth over `count` calls in a window with no garbage collection (a window
 * a GC ran in is measured again with half the count).
 */
export async function bytesPerOp(op, count = 20_000) {
  for (let n = count; n >= 100; n = Math.floor(n / 2)) {
    let collections = 0;
    const observer = new PerformanceObserver((list) => {
      collections += list.getEntries().length;
    });
    globalThis.gc();
    observer.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) await op();
    const after = process.memoryUsage().heapUsed;
    // GC entries are delivered asynchronously; let them arrive before deciding.
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    if (collections === 0) return Math.max(0, (after - before) / n);
  }
  return Number.NaN;
}

/** The p-th percentile (0–100) of `values` (sorted in place). */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
}

/** Formats a number of operations per second as 1.23M / 456k. */
export function rate(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

/** Prints rows (objects with the same keys) as an aligned Markdown table. */
export function printTable(rows) {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const cells = [keys, ...rows.map((row) => keys.map((k) => String(row[k])))];
  const widths = keys.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(cells[0]));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of cells.slice(1)) console.log(line(r));
}
