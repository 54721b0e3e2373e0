// Records a suite's run in bench/results/<suite>.json with the machine's facts,
// so charts and the docs show real, dated numbers (bench/charts.mjs reads them).
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const resultsDir = new URL('../results/', import.meta.url);

/**
 * Writes bench/results/<suite>.json: `run` (started, loadBefore, settings,
 * targets, results and anything else the suite records) plus when it finished,
 * the commit, Node, the CPUs and the load average after.
 */
export async function writeResults(suite, { started, loadBefore, ...run }) {
  const file = new URL(`${suite}.json`, resultsDir);
  const record = {
    suite,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverage: { before: loadBefore, after: os.loadavg() },
    ...run,
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nresults written to ${fileURLToPath(file)}`);
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
