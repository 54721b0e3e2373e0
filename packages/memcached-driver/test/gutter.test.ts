// The gutter pool (Facebook's memcache paper) on real memcached servers: a killed server's keys go to
// the gutter server, with writes' TTLs capped, while every other key stays where it was; when the
// server is restarted and rejoins, its keys go back to it. Raw per-server reads say where every key is.
import { describe, expect, it } from 'vitest';
import { Client, type ClientOptions, createDistribution, type DistributionKind } from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import { ownServer, rawTtl, rawValues, track, until } from './support.ts';

function home(servers: readonly string[], kind: DistributionKind = 'ketama') {
  const ring = createDistribution(
    servers.map((server) => parseServer(server)),
    kind,
  );
  return (key: string) => servers[ring.serverFor(Buffer.from(key))]!;
}

async function fleet(kind: DistributionKind, options: ClientOptions = {}) {
  const servers = await Promise.all([ownServer(), ownServer(), ownServer(), ownServer()]);
  const [a, b, c, g] = servers.map((server) => server.address) as [string, string, string, string];
  const client = track(
    new Client([a, b, c], {
      distribution: kind,
      removeFailed: 1,
      retryTimeoutMs: 300,
      timeoutMs: 300,
      gutter: { servers: [g], ttl: 5 },
      ...options,
    }),
  );
  const events: string[] = [];
  client.on('eject', (server) => events.push(`eject ${server}`));
  client.on('rejoin', (server) => events.push(`rejoin ${server}`));
  const keys = Array.from({ length: 300 }, (_, i) => `gut:${i}`);
  const owner = home([a, b, c], kind);
  return {
    servers,
    client,
    events,
    keys,
    a,
    b,
    c,
    g,
    victim: servers[1]!,
    victimKeys: keys.filter((key) => owner(key) === b),
    otherKeys: keys.filter((key) => owner(key) !== b),
  };
}

describe('a gutter pool', () => {
  for (const kind of ['ketama', 'modula'] as const) {
    it(`takes a killed server's keys, TTLs capped, and gives them back when it rejoins (${kind})`, async () => {
      const { client, events, keys, a, b, c, g, victim, victimKeys, otherKeys } = await fleet(kind);
      expect(await client.setMulti(keys.map((key) => [key, 'before'] as const))).toEqual([]);
      await victim.stop();
      // The first command for one of its keys fails, and ejects it.
      await expect(client.get(victimKeys[0]!)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', server: b });
      expect(events).toEqual([`eject ${b}`]);
      // Its keys miss now (the gutter is empty), and are written to the gutter server; no other key moved.
      expect((await client.getMulti(victimKeys)).size).toBe(0);
      expect(await client.getMulti(otherKeys)).toEqual(new Map(otherKeys.map((key) => [key, 'before'])));
      expect(
        await client.setMulti(
          keys.map((key) => [key, 'during'] as const),
          { ttl: 3600 },
        ),
      ).toEqual([]);
      expect(await client.set(victimKeys[1]!, 'forever')).toBe(true);
      const inGutter = await rawValues(g, keys);
      expect([...inGutter.keys()].sort()).toEqual([...victimKeys].sort());
      for (const address of [a, c]) {
        const held = await rawValues(address, victimKeys);
        expect(held.size).toBe(0);
      }
      // Writes to the gutter live at most gutter.ttl seconds, whatever they asked for; others keep theirs.
      expect(await rawTtl(g, victimKeys[0]!)).toBeLessThanOrEqual(5);
      expect(await rawTtl(g, victimKeys[1]!)).toBeLessThanOrEqual(5);
      expect(await client.touch(victimKeys[2]!, 10_000)).toBe(true);
      expect(await rawTtl(g, victimKeys[2]!)).toBeLessThanOrEqual(5);
      expect(await client.gat(victimKeys[3]!, 0)).toBe('during');
      expect(await rawTtl(g, victimKeys[3]!)).toBeLessThanOrEqual(5);
      // So are gats merged into one line, and getOrSet's and invalidate's meta commands.
      expect(await Promise.all([client.gat(victimKeys[4]!, 10_000), client.gat(victimKeys[5]!, 10_000)])).toEqual([
        'during',
        'during',
      ]);
      await client.delete(victimKeys[6]!);
      expect(await client.getOrSet(victimKeys[6]!, () => 'fresh', { ttl: 3600, grace: 600 })).toBe('fresh');
      expect(await client.invalidate(victimKeys[7]!, { grace: 3600 })).toBe(true);
      for (const key of victimKeys.slice(4, 8)) {
        const ttl = await rawTtl(g, key);
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(5);
      }
      const other = otherKeys[0]!;
      expect(await rawTtl(home([a, b, c], kind)(other), other)).toBeGreaterThan(3000);

      await victim.restart();
      await until(() => events.length === 2, 3000);
      expect(events[1]).toBe(`rejoin ${b}`);
      // Back home: its keys are read from and written to it again (empty after the restart).
      expect((await client.getMulti(victimKeys)).size).toBe(0);
      expect(await client.setMulti(victimKeys.map((key) => [key, 'after'] as const))).toEqual([]);
      const held = await rawValues(b, victimKeys);
      expect(held.size).toBe(victimKeys.length);
      expect(
        [...(await rawValues(g, victimKeys)).values()].every((value) => ['during', 'forever', 'fresh'].includes(value)),
      ).toBe(true);
      expect(await client.get(otherKeys[1]!)).toBe('during');
    });
  }

  it('takes every server when every one fails, and a one-server client too', async () => {
    const [one, two, spare] = await Promise.all([ownServer(), ownServer(), ownServer()]);
    const client = track(
      new Client([one.address, two.address], {
        distribution: 'ketama',
        removeFailed: 1,
        retryTimeoutMs: 60_000,
        gutter: { servers: spare.address },
      }),
    );
    const single = track(
      new Client(one.address, { removeFailed: 1, retryTimeoutMs: 60_000, gutter: { servers: [spare.address] } }),
    );
    await Promise.all([one.stop(), two.stop()]);
    const keys = Array.from({ length: 50 }, (_, i) => `all:${i}`);
    await client.getMulti(keys).catch(() => undefined);
    await single.get('single').catch(() => undefined);
    expect(await client.setMulti(keys.map((key) => [key, 1] as const))).toEqual([]);
    expect(await single.set('single', 2)).toBe(true);
    expect((await rawValues(spare.address, [...keys, 'single'])).size).toBe(51);
    expect(await rawTtl(spare.address, 'single')).toBeLessThanOrEqual(10);
  });

  it('keeps its gutter servers out of the server list, and refuses bad options', async () => {
    const [one, spare] = await Promise.all([ownServer(), ownServer()]);
    const gutter = { servers: [spare.address] };
    const client = track(new Client(one.address, { removeFailed: 1, gutter }));
    expect(client.servers).toEqual([one.address]);
    await expect(client.setServers([one.address, spare.address])).rejects.toMatchObject({
      code: 'ERR_INVALID_SERVER',
    });
    expect(client.servers).toEqual([one.address]);
    expect(() => new Client([one.address, spare.address], { removeFailed: 1, gutter })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_SERVER' }),
    );
    const bad: unknown[] = [
      { gutter },
      { removeFailed: 1, gutter: spare.address },
      { removeFailed: 1, gutter: { servers: [spare.address], ttl: 0 } },
      { removeFailed: 1, gutter: { servers: [spare.address], ttl: 2_592_001 } },
      { removeFailed: 1, gutter: { servers: [spare.address], ttlMs: 10 } },
    ];
    for (const options of bad) {
      expect(() => new Client(one.address, options as ClientOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
    expect(() => new Client(one.address, { removeFailed: 1, gutter: { servers: 'bad:port' } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_SERVER' }),
    );
  });

  it('reaches its gutter servers with server-wide commands', async () => {
    const [one, spare] = await Promise.all([ownServer(), ownServer()]);
    const client = track(new Client(one.address, { removeFailed: 1, gutter: { servers: [spare.address] } }));
    expect([...(await client.version()).keys()]).toEqual([one.address, spare.address]);
    expect([...client.serverStats()].map(([server, stats]) => [server, stats.gutter])).toEqual([
      [one.address, false],
      [spare.address, true],
    ]);
  });
});
