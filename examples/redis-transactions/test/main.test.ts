import { join } from 'node:path';
import { alive, programsIn } from '@clonepool/example-testing';
import { ClientPool } from '@clonepool/fifo-pool';
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bank, runTransfers } from '../bank.js';
import { hasRedisServer, startRedis, type TestRedis } from './redis-server.js';

const { run } = programsIn(join(import.meta.dirname, '..'));

/** Checks main.ts's report: every transfer settled, totals conserved, no balance below zero. */
function expectConserved(out: string, transfers: number): void {
  const [, done, insufficient, conflicts] =
    out.match(/done (\d+), refused for insufficient funds (\d+), conflicts retried (\d+)/) ?? [];
  expect(Number(done) + Number(insufficient)).toBe(transfers);
  expect(Number(conflicts)).toBeGreaterThan(0);
  const [, before, after, lowest] = out.match(/total before (\d+), after (\d+), lowest balance (-?\d+)/) ?? [];
  expect(Number(after)).toBe(Number(before));
  expect(Number(lowest)).toBeGreaterThanOrEqual(0);
  expect(out).toMatch(/^conserved: yes$/m);
}

describe('on ioredis-mock', () => {
  it('conserves the total over concurrent transfers, retrying conflicts', async () => {
    const program = run('main.ts', { REDIS_URL: '', TRANSFERS: '300', ACCOUNTS: '5', POOL_SIZE: '4' });
    expect(await program.exited, program.stderr()).toBe(0);
    expect(program.stdout()).toMatch(/^redis: ioredis-mock/m);
    expectConserved(program.stdout(), 300);
  });

  it('refuses transfers that would overdraw, and keeps every balance at zero or above', async () => {
    const master = new RedisMock() as unknown as Redis;
    const pool = new ClientPool<Redis>({ clone: () => master.duplicate() }, 3);
    const bank = new Bank(`test-overdraw:${Date.now()}`, 3);
    try {
      await bank.open(master, 10);
      const report = await runTransfers(bank, pool, 200, 11);
      expect(report.done + report.insufficient).toBe(200);
      expect(report.insufficient).toBeGreaterThan(0);
      expect(await bank.total(master)).toBe(30);
      expect(await bank.lowest(master)).toBeGreaterThanOrEqual(0);
      expect(pool.stats()).toMatchObject({ size: 3, reserved: 0, waiting: 0 });
    } finally {
      await pool.close();
      await master.quit();
    }
  });
});

// CI installs Debian's redis-server; elsewhere this part runs only where it is installed.
describe.skipIf(!hasRedisServer() && !process.env.CI)('on a real redis-server (REDIS_URL)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    if (redis !== undefined) expect(alive(redis.pid)).toBe(false);
  });

  it('conserves the total over concurrent transfers, retrying conflicts', async () => {
    const program = run('main.ts', { REDIS_URL: redis.url, TRANSFERS: '300', ACCOUNTS: '5', POOL_SIZE: '4' });
    expect(await program.exited, program.stderr()).toBe(0);
    expect(program.stdout()).toContain(`redis: ${redis.url}`);
    expectConserved(program.stdout(), 300);
  });
});
