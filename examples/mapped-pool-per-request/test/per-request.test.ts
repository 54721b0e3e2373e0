import { join } from 'node:path';
import { programsIn } from '@clonepool/example-testing';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProfileServer, type ProfileServer } from '../app.js';

const { run } = programsIn(join(import.meta.dirname, '..'));

let memcached: TestMemcached;
let app: ProfileServer;
let url: string;

beforeAll(async () => {
  memcached = await startMemcached();
  app = createProfileServer(memcached.address);
  url = await app.listen(0);
});

afterAll(async () => {
  await app?.close();
  await memcached?.stop();
});

/** Nothing is mapped, lent or waiting, and no request context is left. */
async function expectNothingMapped(): Promise<void> {
  await expect
    .poll(() => app.pool.stats(), { timeout: 5_000 })
    .toMatchObject({ size: 0, reserved: 0, waiting: 0, contexts: 0 });
}

interface Profile {
  readonly user: { readonly id: string };
  readonly visits: number;
  readonly clients: readonly number[];
}

describe('a MappedPool through withContext', () => {
  it('gives every reserve of one request the same client, and each concurrent request its own', async () => {
    const before = app.pool.stats();
    const profiles = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const response = await fetch(`${url}/users/u${i % 4}`);
        expect(response.status).toBe(200);
        return (await response.json()) as Profile;
      }),
    );
    for (const profile of profiles) {
      expect(profile.clients).toHaveLength(3);
      expect(new Set(profile.clients).size).toBe(1);
    }
    // One clone per request: no two requests shared a client.
    expect(new Set(profiles.map((profile) => profile.clients[0])).size).toBe(12);
    const visits = profiles.filter((profile) => profile.user.id === 'u0').map((profile) => profile.visits);
    expect(visits.sort()).toEqual([1, 2, 3]);
    await expectNothingMapped();
    const after = app.pool.stats();
    expect(after.clones - before.clones).toBe(12);
    expect(after.relinquished - before.relinquished).toBe(12);
    expect(after.reclaimed).toBe(0);
  });

  it("relinquishes an aborted request's client, and the handler stops its work", async () => {
    const before = app.pool.stats();
    const abort = new AbortController();
    const request = fetch(`${url}/slow/aborted?steps=200`, { signal: abort.signal });
    request.catch(() => {});
    await expect.poll(() => app.pool.stats().size, { timeout: 5_000 }).toBe(1);
    expect(app.pool.stats().contexts).toBe(1);
    abort.abort();
    await expect(request).rejects.toThrow();
    await expectNothingMapped();
    await expect.poll(() => app.aborted()).toBe(1);
    const after = app.pool.stats();
    expect(after.relinquished - before.relinquished).toBe(1);
    expect(after.clones - before.clones).toBe(1);
  });

  it('makes a request beyond maxClients wait for a client, and answers 503 once reserve.timeoutMs has passed', async () => {
    const small = createProfileServer(memcached.address, { maxClients: 1, reserveTimeoutMs: 400 });
    const smallUrl = await small.listen(0);
    try {
      const slow = fetch(`${smallUrl}/slow/holder?steps=20`);
      await expect.poll(() => small.pool.stats().size, { timeout: 5_000 }).toBe(1);
      const refused = await fetch(`${smallUrl}/users/late`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ error: 'ERR_RESERVE_TIMEOUT' });
      expect((await slow).status).toBe(200);
      // A wait shorter than the timeout is served: the request waits for the holder's client to be dropped.
      const holder = fetch(`${smallUrl}/slow/holder?steps=1`);
      await expect.poll(() => small.pool.stats().size, { timeout: 5_000 }).toBe(1);
      const waited = await fetch(`${smallUrl}/users/late`);
      expect(waited.status).toBe(200);
      expect((await holder).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('serves a slow request to the end on one client', async () => {
    const response = await fetch(`${url}/slow/patient?steps=4`);
    const body = (await response.json()) as { clients: number[] };
    expect(body.clients).toHaveLength(4);
    expect(new Set(body.clients).size).toBe(1);
    await expectNothingMapped();
  });
});

describe('main.ts', () => {
  it('starts its own memcached, serves a profile and closes on SIGTERM', async () => {
    const program = run('main.ts', { MEMCACHED_SERVERS: '', PORT: '0' });
    try {
      const [, address] = await program.waitFor(/listening on (http:\/\/\S+)/);
      const pid = Number(program.stdout().match(/\(pid (\d+)\)/)?.[1]);
      const profile = (await (await fetch(`${address}/users/ada`)).json()) as Profile;
      expect(profile.clients).toEqual([1, 1, 1]);
      program.child.kill('SIGTERM');
      expect(await program.exited).toBe(0);
      expect(program.stdout()).toMatch(/SIGTERM: closed after 1 clients, 1 relinquished, 0 left/);
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      program.child.kill('SIGKILL');
    }
  });
});
