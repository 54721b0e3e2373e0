import { readFileSync } from 'node:fs';
import { ClientPool } from '@clonepool/fifo-pool';
import { MappedPool } from '@clonepool/mapped-pool';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import type { TestMemcached } from '../src/testing.ts';
import { ownServer, track } from './support.ts';

/** Whether the kernel has IPv6 at all: /proc/net/if_inet6 lists the addresses of an IPv6 stack, `::1` on lo among them. */
const ipv6Loopback = (() => {
  try {
    return readFileSync('/proc/net/if_inet6', 'latin1').includes('00000000000000000000000000000001');
  } catch {
    return false;
  }
})();

/** What every address form must carry: set, get, getMulti and delete, through one client. */
async function roundTrip(client: Client, key: string): Promise<void> {
  expect(await client.set(key, { at: key })).toBe(true);
  expect(await client.get(key)).toEqual({ at: key });
  expect(await client.getMulti([key, `${key}:none`])).toEqual(new Map([[key, { at: key }]]));
  expect(await client.delete(key)).toBe(true);
}

const ipv6Title = ipv6Loopback
  ? 'an IPv6 server at [::1]'
  : 'an IPv6 server at [::1] (skipped: the kernel has no IPv6 loopback, /proc/net/if_inet6 lacks ::1)';

describe.skipIf(!ipv6Loopback)(ipv6Title, () => {
  let server: TestMemcached;
  beforeAll(async () => {
    server = await ownServer({ host: '::1' });
  });

  it('is started by the testing kit at [::1]:port', () => {
    expect(server.address).toMatch(/^\[::1\]:\d+$/);
  });

  it.each(['[::1]:PORT', 'memcached://[::1]:PORT', 'tcp://[::1]:PORT/'])('serves commands through %s', async (spec) => {
    const client = track(new Client(spec.replace('PORT', String(server.port))));
    expect(client.servers).toEqual([`[::1]:${server.port}`]);
    await roundTrip(client, 'v6');
  });
});

describe('a UNIX socket server (memcached -s)', () => {
  let server: TestMemcached;
  beforeAll(async () => {
    server = await ownServer({ unixSocket: true });
  });

  it('serves commands through its path and a unix:// URL', async () => {
    for (const spec of [server.address, `unix://${server.address}`]) {
      const client = track(new Client(spec));
      expect(client.servers).toEqual([server.address]);
      await roundTrip(client, 'unix');
    }
  });

  describe('behind the pools, as clones of one client', () => {
    let client: Client;
    beforeAll(() => {
      client = track(new Client(server.address, { keyPrefix: 'pooled:' }));
    });

    it('a ClientPool of clones', async () => {
      const pool = new ClientPool(client, 3);
      try {
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            pool.use((clone) => clone.set(`k${i}`, i), { block: true, timeoutMs: 2000 }),
          ),
        );
        const hits = await pool.use((clone) => clone.getMulti(Array.from({ length: 12 }, (_, i) => `k${i}`)));
        expect([...hits.values()]).toEqual(Array.from({ length: 12 }, (_, i) => i));
      } finally {
        await pool.close();
      }
    });

    it('a MappedPool of clones, one per scope', async () => {
      const pool = new MappedPool(client);
      try {
        const seen = await Promise.all(
          Array.from({ length: 4 }, (_, i) =>
            pool.run(async () => {
              await pool.use((clone) => clone.set(`scope${i}`, `v${i}`));
              return pool.use((clone) => clone.get(`scope${i}`));
            }),
          ),
        );
        expect(seen).toEqual(['v0', 'v1', 'v2', 'v3']);
        expect(pool.stats().clones).toBe(4);
      } finally {
        await pool.close();
      }
    });
  });
});
