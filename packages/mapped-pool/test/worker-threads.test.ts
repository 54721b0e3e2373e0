import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

interface Report {
  readonly threadId: number;
  readonly seen: number[];
  readonly stats: Record<string, number>;
  readonly sameThreadClient: boolean;
  readonly closed: boolean;
}

/**
 * Runs test/fixtures/worker.ts in a worker thread. The worker imports the
 * package by name; vitest's resolver does not reach into workers, so the
 * worker resolves it with the same `@clonepool/source` condition and loads the
 * TypeScript through tsx (fixtures/worker.mjs).
 */
function runWorker(contexts: number): Promise<Report> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fixtures/worker.mjs', import.meta.url), {
      workerData: { contexts },
      execArgv: ['--conditions=@clonepool/source'],
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

describe('worker_threads', () => {
  it('gives each worker its own pool whose contexts each keep one client', { timeout: 30_000 }, async () => {
    const reports = await Promise.all([runWorker(5), runWorker(5)]);
    expect(new Set(reports.map((r) => r.threadId)).size).toBe(2);
    for (const report of reports) {
      // Each context saw the same client before and after a macrotask, and contexts had different ones.
      expect(report.seen).toEqual([1, 2, 3, 4, 5]);
      expect(report.stats).toMatchObject({ clones: 5, relinquished: 5, size: 0, reserved: 0, contexts: 0 });
      expect(report.sameThreadClient).toBe(true);
      expect(report.closed).toBe(true);
    }
  });
});
