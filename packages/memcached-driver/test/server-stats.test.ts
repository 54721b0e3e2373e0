// Per-server figures from the client: requests, errors, ejections and reply latency, summed over a
// client and its clones, so that one slow or failing server of a fleet stands out.
import { describe, expect, it } from 'vitest';
import { Client, createDistribution } from '../src/index.ts';
import { ServerCounters } from '../src/server-stats.ts';
import { parseServer } from '../src/servers.ts';
import { fakeServer, ownServer, track } from './support.ts';

describe('serverStats', () => {
  it('counts the requests and errors of a client and its clones, per server', async () => {
    const [one, two] = await Promise.all([ownServer(), ownServer()]);
    const servers = [one.address, two.address];
    const master = track(new Client(servers, { distribution: 'ketama' }));
    const clone = track(master.clone());
    const ring = createDistribution(
      servers.map((server) => parseServer(server)),
      'ketama',
    );
    const keys = Array.from({ length: 40 }, (_, i) => `st:${i}`);
    const on = (server: number) => keys.filter((key) => ring.serverFor(Buffer.from(key)) === server);
    for (const key of keys) await master.set(key, 'x');
    for (const key of keys) await clone.get(key);
    await clone.getMulti(keys); // one request per server
    // An error reply: incr of a value that is not a number.
    await expect(master.incr(on(1)[0]!)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CLIENT' });
    const stats = master.serverStats();
    expect([...stats.keys()]).toEqual(servers);
    expect(stats.get(one.address)).toMatchObject({
      ops: on(0).length * 2 + 1,
      errors: 0,
      ejections: 0,
      offRing: 0,
      gutter: false,
    });
    expect(stats.get(two.address)).toMatchObject({ ops: on(1).length * 2 + 2, errors: 1 });
    // The clone reads the same figures: one view for the whole fleet.
    expect(clone.serverStats()).toEqual(stats);
    // One request in eight was timed (none in flight together here).
    expect(stats.get(one.address)!.latencyMs!.samples).toBe(Math.floor((on(0).length * 2 + 1) / 8));
  });

  it('shows a slow server: its latency percentiles stand out', async () => {
    const fast = await ownServer();
    const slow = await fakeServer((line, socket) => {
      if (line.startsWith('get ')) setTimeout(() => socket.write('END\r\n'), 25);
    });
    const client = track(new Client([fast.address, slow.address], { distribution: 'ketama' }));
    await Promise.all(Array.from({ length: 200 }, (_, i) => client.get(`slow:${i}`)));
    for (let i = 0; i < 40; i++) await client.get(`slow:${i}`);
    const stats = client.serverStats();
    const fastLatency = stats.get(fast.address)!.latencyMs!;
    const slowLatency = stats.get(slow.address)!.latencyMs!;
    expect(slowLatency.p50).toBeGreaterThanOrEqual(22);
    expect(slowLatency.p50).toBeGreaterThan(fastLatency.p99);
    expect(fastLatency.p50).toBeLessThanOrEqual(fastLatency.p90);
    expect(fastLatency.p90).toBeLessThanOrEqual(fastLatency.p99);
  });

  it('counts timeouts, and requests refused at once while a server is left alone', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address, { retryTimeoutMs: 60_000, timeoutMs: 100 }));
    await client.set('to', 1);
    await server.pause();
    try {
      // Two gets in flight, merged into one request (one `get` line), time out together.
      const timedOut = await Promise.allSettled([client.get('to'), client.get('to')]);
      expect(timedOut.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      // Left alone for retryTimeoutMs: refused at once, never sent.
      await expect(client.get('to')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
      await expect(client.get('to')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    } finally {
      server.resume();
    }
    expect(client.serverStats().get(server.address)).toMatchObject({ ops: 2, errors: 3, ejections: 0 });
  });

  it('counts ejections, and how many clients of the fleet have a server off their ring', async () => {
    const [one, two] = await Promise.all([ownServer(), ownServer()]);
    const servers = [one.address, two.address];
    const master = track(new Client(servers, { distribution: 'ketama', removeFailed: 1, retryTimeoutMs: 60_000 }));
    const clones = [track(master.clone()), track(master.clone())];
    const ring = createDistribution(
      servers.map((server) => parseServer(server)),
      'ketama',
    );
    const key = Array.from({ length: 50 }, (_, i) => `ej:${i}`).find((k) => ring.serverFor(Buffer.from(k)) === 1)!;
    await two.stop();
    for (const client of [master, ...clones]) {
      await expect(client.get(key)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
      expect(await client.get(key)).toBeUndefined(); // now asked of the other server
    }
    expect(master.serverStats().get(two.address)).toMatchObject({ ejections: 3, offRing: 3, errors: 3 });
    expect(master.serverStats().get(one.address)).toMatchObject({ ejections: 0, offRing: 0 });
    await clones[0]!.close();
    expect(master.serverStats().get(two.address)!.offRing).toBe(2);
  });

  it('follows the server list: servers that leave drop out, new ones start from zero', async () => {
    const [one, two] = await Promise.all([ownServer(), ownServer()]);
    const client = track(new Client(one.address));
    await client.get('k');
    await client.setServers([two.address]);
    expect([...client.serverStats().keys()]).toEqual([two.address]);
    expect(client.serverStats().get(two.address)).toMatchObject({ ops: 0, latencyMs: undefined });
    await client.setServers([one.address, two.address]);
    expect(client.serverStats().get(one.address)).toMatchObject({ ops: 0 });
  });
});

describe('the latency histogram', () => {
  it('answers percentiles within 12%, over the last 10 to 20 seconds', () => {
    const counters = new ServerCounters(false);
    const start = 1_000_000;
    // 1,000 replies: 0.1 ms to 100 ms, log-uniform.
    const values = Array.from({ length: 1000 }, (_, i) => 0.1 * 1000 ** (i / 999));
    for (const ms of values) counters.latency(ms, start);
    const latency = counters.snapshot(0, start + 1).latencyMs!;
    expect(latency.samples).toBe(1000);
    for (const [share, got] of [
      [0.5, latency.p50],
      [0.9, latency.p90],
      [0.99, latency.p99],
    ] as const) {
      const exact = values[Math.ceil(share * values.length) - 1]!;
      expect(Math.abs(got - exact) / exact).toBeLessThan(0.12);
    }
    // Still counted in the next window; gone after two.
    expect(counters.snapshot(0, start + 15_000).latencyMs?.samples).toBe(1000);
    counters.latency(5, start + 15_000);
    expect(counters.snapshot(0, start + 25_000).latencyMs?.samples).toBe(1);
    expect(counters.snapshot(0, start + 60_000).latencyMs).toBeUndefined();
    // Microseconds and half-hour stalls alike land in a bucket.
    counters.latency(0.0001, start + 60_000);
    counters.latency(3_600_000, start + 60_000);
    expect(counters.snapshot(0, start + 60_001).latencyMs?.samples).toBe(2);
  });
});
