#!/usr/bin/env node
// `pnpm check`: everything CI checks, in order — lint, release plan, build,
// typecheck, every test (unit, conformance, doctests, examples), the docs
// build, and the published shape of each package. It keeps going after a
// failed step so one run shows every problem, and its last line is the total
// of tests from vitest's JSON reports: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const steps = [
  ['lint', 'biome', ['ci', '.']],
  ['driver source size', 'node', ['tools/source-size.mjs']],
  ['import directions', 'node', ['tools/architecture.mjs']],
  ['release plan', 'changeset', ['status']],
  ['build and typecheck', 'turbo', ['run', 'build', 'typecheck', '--continue', '--output-logs=errors-only']],
  ['tests', 'turbo', ['run', 'test', '--continue', '--concurrency=1', '--output-logs=new-only']],
  ['docs build and browser test', 'turbo', ['run', 'docs:build', 'test:browser', '--output-logs=errors-only']],
  ['package checks', 'turbo', ['run', 'lint:package', '--continue', '--output-logs=errors-only']],
  // Node 20 is the floor; the packages' own suites also run on the current LTS lines (binaries from npm's `node` package).
  ...['22', '24'].flatMap((major) =>
    ['core', 'fifo-pool', 'mapped-pool', 'memcached-driver', 'keyv', 'opentelemetry'].map((pkg) => [
      `${pkg} on Node ${major}`,
      'npx',
      [
        '--yes',
        `node@${major}`,
        join(root, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--root',
        join('packages', pkg),
        '--reporter=dot',
        '--reporter=json',
        `--outputFile.json=test-results/node${major}.json`,
      ],
    ]),
  ),
];

// Reports from an earlier run must not be counted again; turbo restores them on a cache hit.
const reportDirs = ['packages', 'tools', 'docs', 'examples', 'bench']
  .flatMap((dir) => (dir === 'docs' || dir === 'bench' ? [dir] : subdirs(join(root, dir)).map((d) => join(dir, d))))
  .flatMap((dir) => [join(root, dir, 'test-results'), join(root, dir, 'browser-results')]);
for (const dir of reportDirs) rmSync(dir, { recursive: true, force: true });

const failedSteps = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n▶ ${name}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  const { status } = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${status === 0 ? '✔' : '✘'} ${name} (${seconds} s)`);
  if (status !== 0) failedSteps.push(name);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reportDirs.flatMap(reports)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
if (failedSteps.length > 0) console.log(`\nFailed steps: ${failedSteps.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedSteps.length === 0 && failed === 0 && passed > 0 ? 0 : 1);

/** The vitest JSON reports in a results folder: one per runner (turbo's test task, each extra Node version). */
function reports(dir) {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(dir, f))
    : [];
}

function subdirs(dir) {
  return existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
}
