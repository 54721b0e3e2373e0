#!/usr/bin/env node
// The main demo: the HTTP cache server example (examples/http-cache-server/demo.ts),
// run from TypeScript source through tsx. It starts three memcached servers,
// seeds them, serves them over HTTP through a ClientPool, runs a short load and
// stops everything it started.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const example = join(root, 'examples/http-cache-server');
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
