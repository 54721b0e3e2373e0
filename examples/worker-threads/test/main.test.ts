import { join } from 'node:path';
import { alive, programsIn } from '@clonepool/example-testing';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const { run } = programsIn(join(import.meta.dirname, '..'));

let memcached: TestMemcached[] = [];

beforeAll(async () => {
  memcached = await Promise.all([startMemcached(), startMemcached()]);
});

afterAll(async () => {
  await Promise.all(memcached.map((server) => server.stop()));
});

/** The sum of n² for n < jobs: what every worker's jobs add up to. */
const squares = (jobs: number): number => Array.from({ length: jobs }, (_, n) => n * n).reduce((a, b) => a + b, 0);

it('runs a pool per worker thread, each with correct results, and closes everything', async () => {
  const program = run('main.ts', {
    MEMCACHED_SERVERS: memcached.map((server) => server.address).join(','),
    WORKERS: '3',
    JOBS: '60',
    POOL_SIZE: '3',
  });
  expect(await program.exited, program.stderr()).toBe(0);
  const out = program.stdout();
  const lines = [
    ...out.matchAll(/^worker (\d) \(thread (\d+)\): (\d+)\/(\d+) jobs verified, sum (\d+), pool of (\d+).* ok$/gm),
  ];
  expect(lines.map((m) => Number(m[1])).sort()).toEqual([0, 1, 2]);
  for (const [, , , verified, total, sum, size] of lines) {
    expect([Number(verified), Number(total), Number(sum), Number(size)]).toEqual([60, 60, squares(60), 3]);
  }
  // Three distinct threads, none of them the main one (1).
  const threads = new Set(lines.map((m) => Number(m[2])));
  expect(threads.size).toBe(3);
  expect(threads.has(1)).toBe(false);
  expect(out).toContain('jobs-done counter: 180 (expected 180), 3 threads');
  expect(out).toMatch(/a client after structuredClone: get is undefined/);
  expect(out).toMatch(/^all 3 workers ok$/m);
});

it('starts and stops memcached servers of its own without MEMCACHED_SERVERS', async () => {
  const program = run('main.ts', { MEMCACHED_SERVERS: '', WORKERS: '2', JOBS: '20' });
  expect(await program.exited, program.stderr()).toBe(0);
  const pids = [...program.stdout().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
  expect(pids).toHaveLength(2);
  expect(program.stdout()).toMatch(/^all 2 workers ok$/m);
  expect(pids.filter(alive)).toEqual([]);
});
