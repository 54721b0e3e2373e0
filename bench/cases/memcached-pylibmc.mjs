// pylibmc 1.6 (libmemcached, C) from Debian's python3-pylibmc, run by /usr/bin/python3
// (or $BENCH_PYTHON): the loops are in memcached-pylibmc.py. This file only runs it, so the
// suite starts every client the same way, and relays its one JSON line and its exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const script = fileURLToPath(new URL('./memcached-pylibmc.py', import.meta.url));
const child = spawn(python, [script], { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (error) => {
  console.log(JSON.stringify({ client: 'pylibmc', failed: `${python}: ${error.message}` }));
  process.exitCode = 1;
});
child.on('close', (code) => {
  process.exitCode = code ?? 1;
});
