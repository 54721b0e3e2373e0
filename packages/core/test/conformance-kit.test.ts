import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { MinimalPoolDefect } from './minimal-pool.js';

/** The part of vitest's JSON report this test reads. */
interface Report {
  readonly testResults: readonly {
    readonly assertionResults: readonly {
      readonly ancestorTitles: readonly string[];
      readonly title: string;
      readonly status: string;
    }[];
  }[];
}

const fixture = join(import.meta.dirname, 'fixtures', 'broken-pools');

/**
 * Runs the kit the way a strategy's own test file does, in a vitest of its
 * own, against MinimalPool and its broken copies, and returns each suite's
 * failed and passed tests.
 */
async function runKitAgainstBrokenPools(): Promise<Map<string, { failed: string[]; passed: string[] }>> {
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const out = await mkdtemp(join(tmpdir(), 'clonepool-kit-'));
  const reportFile = join(out, 'report.json');
  // This worker's own VITEST_* variables would tell the inner run it is a worker.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  try {
    await promisify(execFile)(
      process.execPath,
      [vitest, 'run', '--config', join(fixture, 'vitest.config.ts'), '--reporter=json', `--outputFile=${reportFile}`],
      // A fixed seed, so the random-load test runs the same way every time.
      { cwd: fixture, env: { ...env, CLONEPOOL_SEED: '1' }, timeout: 60_000 },
    ).catch((error: { code?: unknown; stderr?: string }) => {
      // Exit code 1 is the failures this test expects; anything else is the run itself failing.
      if (error.code !== 1) throw new Error(`the inner vitest run failed: ${error.stderr}`, { cause: error });
    });
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as Report;
    const suites = new Map<string, { failed: string[]; passed: string[] }>();
    for (const file of report.testResults) {
      for (const test of file.assertionResults) {
        const suite = test.ancestorTitles.join(' > ');
        const entry = suites.get(suite) ?? { failed: [], passed: [] };
        if (test.status === 'failed') entry.failed.push(test.title);
        else if (test.status === 'passed') entry.passed.push(test.title);
        suites.set(suite, entry);
      }
    }
    return suites;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const caughtBy: Record<MinimalPoolDefect, string> = {
  'serves the newest waiter first': 'serves waiters in arrival order',
  'lends a released client twice':
    'hands a released client to one waiter only, so the next reserve finds every client out',
  'closes a late client twice': 'rejects every waiter with ERR_POOL_CLOSED on close, and later reserves too',
};

describe('the conformance kit', () => {
  it('fails a pool with each deliberate defect, and passes the same pool without it', async () => {
    const suites = await runKitAgainstBrokenPools();
    const correct = suites.get('MinimalPool conforms to the Pool contract');
    expect(correct?.failed).toEqual([]);
    const kitSize = correct?.passed.length ?? 0;
    expect(kitSize).toBeGreaterThan(10);
    for (const [defect, test] of Object.entries(caughtBy)) {
      const broken = suites.get(`MinimalPool that ${defect} conforms to the Pool contract`);
      expect(broken, defect).toBeDefined();
      expect((broken?.failed.length ?? 0) + (broken?.passed.length ?? 0), defect).toBe(kitSize);
      expect(broken?.failed, defect).toContain(test);
    }
  }, 90_000);
});
