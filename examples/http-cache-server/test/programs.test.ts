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
  it('runs the whole demo and stops what it started', async () => {
    const demo = run('demo.ts', { DEMO_SECONDS: '1', DEMO_CONNECTIONS: '8' });
    expect(await demo.exited).toBe(0);
    const out = demo.stdout();
    const pids = [...out.matchAll(/started memcached on \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    expect(out).toMatch(/^seeded 205 keys over 3 servers$/m);
    expect(out).toMatch(/^GET \/user:ada → 200$/m);
    expect(out).toMatch(/^requests\/s: \d+$/m);
    expect(out).toMatch(/^pool: size 8, available 8, reserved 0, waiting 0$/m);
    expect(out).toMatch(
      /^stopped: HTTP server and its pool, seeding client, memcached .*, memcached .*, memcached .*$/m,
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
      expect(demo.stdout()).toMatch(/^stopped: HTTP server and its pool, seeding client, memcached/m);
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
});
