// Runs every benchmark suite in bench/ (or those named on the command line),
// one after another, each case in a fresh process. `pnpm bench` calls this.
import { readdir } from 'node:fs/promises';

const only = process.argv.slice(2);
const suites = (await readdir(new URL('./suites/', import.meta.url)))
  .filter((f) => f.endsWith('.mjs'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();
for (const suite of suites) {
  console.log(`\n## ${suite.replace(/\.mjs$/, '')}\n`);
  await import(new URL(`./suites/${suite}`, import.meta.url));
}
