import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import { makeTestClient, startMemcached } from '../src/testing.ts';
import { sleep } from './support.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('@clonepool/memcached/testing', () => {
  const saved = process.env.MEMCACHED_SERVERS;
  afterEach(() => {
    if (saved === undefined) delete process.env.MEMCACHED_SERVERS;
    else process.env.MEMCACHED_SERVERS = saved;
  });

  it('startMemcached runs a real server on a free loopback port, never 11211, and stop() kills it', async () => {
    const server = await startMemcached();
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).not.toBe(11211);
    expect(alive(server.pid)).toBe(true);
    await server.stop();
    await server.stop(); // idempotent
    expect(alive(server.pid)).toBe(false);
  });

  it('restart() brings the server back at the same address with a new process and an empty cache', async () => {
    const server = await startMemcached();
    try {
      const { address, pid } = server;
      const client = new Client(address, { retryTimeoutMs: 0 });
      await client.set('k', 'v');
      await server.restart();
      expect(server.address).toBe(address);
      expect(server.pid).not.toBe(pid);
      expect(alive(pid)).toBe(false);
      expect(alive(server.pid)).toBe(true);
      await client.get('k').catch(() => {}); // the old connection was cut
      expect(await client.get('k')).toBeUndefined();
      await client.close();
    } finally {
      await server.stop();
    }
    expect(alive(server.pid)).toBe(false);
  });

  it('makeTestClient starts a server when MEMCACHED_SERVERS is unset, and stops it when the client closes', async () => {
    delete process.env.MEMCACHED_SERVERS;
    const client = await makeTestClient();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    const pid = Number([...(await client.stats()).values()][0]!.pid);
    await client.close();
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
    expect(alive(pid)).toBe(false);
  });

  it('makeTestClient uses MEMCACHED_SERVERS when set', async () => {
    const server = await startMemcached();
    try {
      process.env.MEMCACHED_SERVERS = server.address;
      const client = await makeTestClient({ keyPrefix: 'kit:' });
      expect(client.servers).toEqual([server.address]);
      await client.close();
      expect(alive(server.pid)).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
