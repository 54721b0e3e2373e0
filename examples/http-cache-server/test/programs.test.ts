import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, programsIn } from '@clonepool/example-testing';
import { Client } from '@clonepool/memcached';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheServer, createCacheServer } from '../server.js';

const { run } = programsIn(join(import.meta.dirname, '..'));

let memcached: TestMemcached[] = [];
let servers = '';

beforeAll(async () => {
  memcached = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  servers = memcached.map((server) => server.address).join(',');
  const seeder = new Client(servers);
  await seeder.set('doc:1', { hello: 'world' });
  await seeder.close();
});

afterAll(async () => {
  await Promise.all(memcached.map((server) => server.stop()));
});

describe('main.ts', () => {
  it('serves MEMCACHED_SERVERS on PORT and shuts down cleanly on SIGTERM', async () => {
    const program = run('main.ts', { MEMCACHED_SERVERS: servers, PORT: '0', CONCURRENCY: '3' });
    try {
      const [, url] = await program.waitFor(/listening on (http:\/\/\S+) \(pool of 3 clients/);
      const response = await fetch(`${url}/doc:1`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{\n  "hello": "world"\n}\n');
      expect((await fetch(`${url}/doc:2`)).status).toBe(404);
      program.child.kill('SIGTERM');
      expect(await program.exited).toBe(0);
      expect(program.stdout()).toMatch(/SIGTERM: shutting down[^\n]*\nclosed\n$/);
    } finally {
      program.child.kill('SIGKILL');
    }
  });

  it('starts, seeds and stops memcached servers of its own without MEMCACHED_SERVERS', async () => {
    const program = run('main.ts', { MEMCACHED_SERVERS: '', PORT: '0' });
    try {
      const [, url] = await program.waitFor(/listening on (http:\/\/\S+) /);
      const pids = [...program.stdout().matchAll(/started memcached on \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
      expect(pids).toHaveLength(3);
      expect((await fetch(`${url}/user:ada`)).status).toBe(200);
      program.child.kill('SIGINT');
      expect(await program.exited).toBe(0);
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      program.child.kill('SIGKILL');
    }
  });
});

describe('load.ts', () => {
  let app: CacheServer;
  let url: string;
  beforeAll(async () => {
    app = createCacheServer({ servers, concurrency: 4 });
    url = await app.listen(0);
  });
  afterAll(() => app.close());

  it('fires a number of requests and prints rate, percentiles and the pool stats', async () => {
    const program = run('load.ts', {}, [
      '--url',
      url,
      '--connections',
      '8',
      '--requests',
      '300',
      '--keys',
      'doc:1,nope',
    ]);
    expect(await program.exited).toBe(0);
    const out = program.stdout();
    expect(out).toMatch(/^requests: 300 in \d+\.\d\d s$/m);
    expect(out).toMatch(/^requests\/s: \d+$/m);
    expect(out).toMatch(/^statuses: 200: 150, 404: 150; errors: 0$/m);
    expect(out).toMatch(/^latency: p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms$/m);
    expect(out).toMatch(/^pool: size 4, available 4, reserved 0, waiting 0$/m);
    const reserves = Number(out.match(/pool: reserves (\d+)/)?.[1]);
    expect(reserves).toBeGreaterThanOrEqual(300);
  });
});

describe('demo.ts', () => {
  const usage = readFileSync(join(import.meta.dirname, '..', 'demo-usage.txt'), 'utf8');

  it('serves through a FIFO pool and a mapped pool, says what each run showed, and stops what it started', async () => {
    const demo = run('demo.ts', { DEMO_SECONDS: '1', DEMO_CONNECTIONS: '16' });
    expect(await demo.exited, demo.stderr()).toBe(0);
    const out = demo.stdout();
    // The explanations wrap at 78 columns: read them as one line.
    const prose = out.replace(/\n/g, ' ');
    const pids = [...out.matchAll(/started memcached on \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    expect(out).toMatch(/^seeded 205 keys over 3 servers$/m);

    const [fifo, mapped] = out.split('== 3. The mapped pool (@clonepool/mapped-pool)');
    expect(fifo).toMatch(/^== 2\. The FIFO pool \(@clonepool\/fifo-pool\)$/m);
    expect(fifo).toMatch(/^GET \/user:ada → 200 \(client 1\)$/m);
    expect(fifo).toMatch(/^GET \/missing:0 → 404 \(client \d\)$/m);
    expect(fifo).toMatch(/^requests\/s: \d+$/m);
    expect(fifo).toMatch(/^pool: size 8, available 8, reserved 0, waiting 0$/m);
    // 16 connections on 8 clients: requests wait, and the demo says how many and why.
    const [, reserves, waits] = fifo?.match(/^pool: reserves (\d+), waits (\d+)/m) ?? [];
    expect(Number(waits)).toBeGreaterThan(0);
    expect(prose).toContain(`Why the pool waited: 16 connections shared 8 clients.`);
    expect(prose).toContain(`${waits} of ${reserves} reserves waited`);
    const misses = fifo?.match(/^statuses: 200: \d+, 404: (\d+); errors: 0$/m)?.[1];
    expect(Number(misses)).toBeGreaterThan(0);
    expect(prose).toContain(`The ${misses} 404s are deliberate: one key in ten the load asks for is missing:<n>`);

    // One clone per request, every one closed when its response ended.
    expect(mapped).toMatch(/^GET \/user:ada → 200 \(client 1\)\nGET \/user:alan → 200 \(client 2\)$/m);
    const [, clones, relinquished] = mapped?.match(/^pool: clones (\d+), relinquished (\d+), reclaimed 0$/m) ?? [];
    const requests = Number(mapped?.match(/^requests: (\d+) in/m)?.[1]);
    expect(Number(clones)).toBe(requests + 2);
    expect(relinquished).toBe(clones);
    expect(mapped).toMatch(/^pool: size 0, reserved 0, waiting 0, contexts 0$/m);
    expect(prose).toContain(`One client per request: ${clones} clones`);

    expect(out).toMatch(
      /^stopped: mapped HTTP server and its pool, FIFO HTTP server and its pool, seeding client, memcached .*, memcached .*, memcached .*$/m,
    );
    expect(demo.stderr()).toMatch(/\[#{30}\] 100% \d+ requests/);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('stops everything it started when interrupted mid-load', async () => {
    const demo = run('demo.ts', { DEMO_SECONDS: '60', DEMO_CONNECTIONS: '4' });
    try {
      await demo.waitFor(/^load: /m);
      const pids = [...demo.stdout().matchAll(/started memcached on \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
      expect(pids).toHaveLength(3);
      expect(pids.filter(alive)).toHaveLength(3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      demo.child.kill('SIGINT');
      expect(await demo.exited).toBe(130);
      expect(demo.stdout()).toMatch(/\(stopped early\)/);
      expect(demo.stdout()).toMatch(/^stopped: FIFO HTTP server and its pool, seeding client, memcached/m);
      expect(demo.stdout()).not.toContain('The mapped pool');
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      demo.child.kill('SIGKILL');
    }
  });

  it('says how to install memcached, and fails, when it is not on PATH', async () => {
    const demo = run('demo.ts', { PATH: '/nonexistent', MEMCACHED_BIN: '' });
    expect(await demo.exited).toBe(1);
    expect(demo.stderr()).toContain('sudo apt-get install memcached');
    expect(demo.stderr()).toContain('brew install memcached');
    expect(demo.stdout()).toBe('');
  });

  // Without a memcached (MEMCACHED_BIN points nowhere) any run that started something would fail.
  const nothing = { MEMCACHED_BIN: '/nonexistent/memcached' };

  it('answers --help with what it does and its options, and starts nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const demo = run('demo.ts', nothing, [flag]);
      expect(await demo.exited).toBe(0);
      expect(demo.stdout()).toBe(usage);
      expect(demo.stderr()).toBe('');
    }
    expect(usage).toMatch(/FIFO pool/);
    expect(usage).toMatch(/mapped pool/);
    expect(usage).toMatch(/404s/);
    expect(usage).toMatch(/--seconds N/);
  });

  it('answers --help through tools/demo.sh and tools/demo.mjs too, before any setup or install', async () => {
    // PATH holds node and dirname alone: tools/setup.sh (bash, apt-get, pnpm) would fail if it ran.
    const onlyNode = mkdtempSync(join(tmpdir(), 'demo-path-'));
    symlinkSync(process.execPath, join(onlyNode, 'node'));
    symlinkSync(
      execFileSync('/bin/sh', ['-c', 'command -v dirname'], { encoding: 'utf8' }).trim(),
      join(onlyNode, 'dirname'),
    );
    const env = { ...process.env, ...nothing, PATH: onlyNode };
    const sh = await runFile('/bin/bash', [join(repository, 'tools', 'demo.sh'), '--help'], env);
    expect(sh).toEqual({ code: 0, stdout: usage, stderr: '' });
    const mjs = await runFile(process.execPath, [join(repository, 'tools', 'demo.mjs'), '-h'], env);
    expect(mjs).toEqual({ code: 0, stdout: usage, stderr: '' });
  });

  it('refuses an unknown option or a bad number with the usage, and starts nothing', async () => {
    const unknown = run('demo.ts', nothing, ['--colour']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toContain("Unknown option '--colour'");
    expect(unknown.stderr()).toContain(usage);
    const bad = run('demo.ts', nothing, ['--seconds', 'soon']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/^--seconds \(or DEMO_SECONDS\) must be a positive number; got soon$/m);
    expect(bad.stdout()).toBe('');
  });
});

const repository = join(import.meta.dirname, '..', '..', '..');

/** Runs a program to its end: its exit code and output. */
function runFile(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
