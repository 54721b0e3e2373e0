import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, type DistributionKind } from '../src/index.ts';
import { ownServer, rawGet, track } from './support.ts';

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

  it.skipIf(!existsSync(PYTHON)).each([
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
