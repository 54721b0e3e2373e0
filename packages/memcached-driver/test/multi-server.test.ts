import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, createDistribution, type DistributionKind } from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import { ownServer, rawGet, sleep, track } from './support.ts';

const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

describe('several servers', () => {
  let addresses: string[] = [];
  beforeAll(async () => {
    addresses = (await Promise.all([ownServer(), ownServer(), ownServer()])).map((server) => server.address);
  });

  it('spreads keys over the servers, and every command finds them', async () => {
    const client = track(new Client(addresses, { keyPrefix: 'spread:' }));
    const keys = Array.from({ length: 90 }, (_, i) => `k${i}`);
    expect(await client.setMulti(keys.map((key, i) => [key, i] as const))).toEqual([]);
    const hits = await client.getMulti(keys);
    expect(hits.size).toBe(90);
    expect(keys.every((key, i) => hits.get(key) === i)).toBe(true);
    expect(await Promise.all(keys.slice(0, 5).map((key) => client.get(key)))).toEqual([0, 1, 2, 3, 4]);
    const perServer = await Promise.all(
      addresses.map(
        async (address) =>
          (await rawGetCount(
            address,
            keys.map((key) => `spread:${key}`),
          )) as number,
      ),
    );
    expect(perServer.reduce((a, b) => a + b, 0)).toBe(90);
    for (const count of perServer) expect(count).toBeGreaterThan(10);
    expect([...(await client.version()).keys()]).toEqual(addresses);
    expect(await client.deleteMulti(keys)).toBe(true);
  });

  it.skipIf(!existsSync(PYTHON) && !process.env.CI).each([
    ['modula', '{}'],
    ['ketama', '{"ketama": True}'],
    ['ketama-weighted', '{"ketama_weighted": True}'],
  ] as [DistributionKind, string][])(
    'places keys where pylibmc places them (%s), both ways',
    async (distribution, behaviors) => {
      const client = track(new Client(addresses, { distribution }));
      await client.flushAll();
      const keys = Array.from({ length: 60 }, (_, i) => `${distribution}:key:${i}:é`);
      const script = `
import pylibmc, sys, json
mc = pylibmc.Client(sys.argv[1].split(','), behaviors=${behaviors})
keys = json.loads(sys.argv[2])
mc.set_multi({k: i for i, k in enumerate(keys[:30])})
print(json.dumps([mc.get(k) for k in keys[30:]]))
`;
      // Our client writes the second half first; pylibmc writes the first half and reads ours.
      await client.setMulti(keys.slice(30).map((key, i) => [key, 30 + i] as const));
      const { stdout } = await run(PYTHON, ['-c', script, addresses.join(','), JSON.stringify(keys)]);
      expect(JSON.parse(stdout)).toEqual(keys.slice(30).map((_, i) => 30 + i));
      const hits = await client.getMulti(keys.slice(0, 30));
      expect(keys.slice(0, 30).map((key) => hits.get(key))).toEqual(keys.slice(0, 30).map((_, i) => i));
    },
  );
});

/** How many of `keys` one server holds, read over a raw socket. */
async function rawGetCount(address: string, keys: string[]): Promise<number> {
  let count = 0;
  for (const key of keys) {
    try {
      await rawGet(address, key);
      count++;
    } catch {}
  }
  return count;
}

describe('failover (removeFailed)', () => {
  it('takes a failed server off the ketama ring for retryTimeoutMs, then puts it back', async () => {
    const servers = await Promise.all([ownServer(), ownServer(), ownServer()]);
    const addresses = servers.map((server) => server.address);
    const client = track(new Client(addresses, { distribution: 'ketama', removeFailed: 1, retryTimeoutMs: 400 }));
    const ring = createDistribution(
      addresses.map((address) => parseServer(address)),
      'ketama',
    );
    const victim = servers[1]!;
    const keys = Array.from({ length: 200 }, (_, i) => `fo${i}`).filter(
      (key) => ring.serverFor(Buffer.from(key)) === 1,
    );
    expect(keys.length).toBeGreaterThan(10);
    await victim.stop();
    // The first operation for the dead server fails and takes it off the ring ...
    await expect(client.set(keys[0]!, 'x')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    // ... then its keys live on the other servers.
    expect(await client.setMulti(keys.map((key) => [key, key] as const))).toEqual([]);
    expect((await client.getMulti(keys)).size).toBe(keys.length);
    // Once retryTimeoutMs has passed, the server is back on the ring.
    const again = await ownServer({ port: victim.port }).catch(() => undefined);
    if (again === undefined) return; // the port was taken meanwhile
    await sleep(450);
    await client.set(keys[1]!, 'home');
    expect(await rawGet(again.address, keys[1]!)).toMatchObject({ flags: 16 });
  });

  it('never takes servers off a modula ring (as libmemcached): their keys fail while they are down', async () => {
    const servers = await Promise.all([ownServer(), ownServer()]);
    const client = track(
      new Client(
        servers.map((server) => server.address),
        { removeFailed: 1, retryTimeoutMs: 50 },
      ),
    );
    await servers[0]!.stop();
    const ring = createDistribution(
      servers.map((server) => parseServer(server.address)),
      'modula',
    );
    const key = Array.from({ length: 50 }, (_, i) => `m${i}`).find((k) => ring.serverFor(Buffer.from(k)) === 0)!;
    await expect(client.set(key, 1)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    await sleep(60);
    await expect(client.set(key, 1)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
  });
});
