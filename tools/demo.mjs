#!/usr/bin/env node
// The main demo: the HTTP cache server example (examples/http-cache-server/demo.ts),
// run from TypeScript source through tsx. It starts three memcached servers,
// seeds them, serves them over HTTP through a FIFO pool and then a mapped pool,
// runs a short load against each, says what it showed, and stops everything it
// started. `--help` prints what it does and its options, and starts nothing.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const example = join(root, 'examples/http-cache-server');
// Answered here, before anything is resolved: it works on a fresh clone, before any install.
if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
  process.stdout.write(readFileSync(join(example, 'demo-usage.txt'), 'utf8'));
  process.exit(0);
}
const tsx = pathToFileURL(createRequire(join(example, 'package.json')).resolve('tsx/esm')).href;
const child = spawn(
  process.execPath,
  ['--conditions=@clonepool/source', '--import', tsx, join(example, 'demo.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: example },
);
// Wait for the demo to clean up and exit rather than dying first and leaving it to
// print after the shell's prompt. Pass signals on: Ctrl-C reaches both processes
// (one process group), and the demo takes a repeat within a second as the same one.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal === null ? 1 : constants.signals[signal]));
});
