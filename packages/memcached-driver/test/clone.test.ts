import { describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import { ownServer, track } from './support.ts';

describe('clone', () => {
  it('makes an independent client: closing the clone leaves the master working, and the reverse', async () => {
    const server = await ownServer();
    const master = track(new Client(server.address, { keyPrefix: 'c:' }));
    const clone = master.clone();
    expect(clone).not.toBe(master);
    expect(clone.servers).toEqual(master.servers);
    await clone.set('shared', 'from clone');
    await clone.close();
    expect(clone.isClosed).toBe(true);
    expect(master.isClosed).toBe(false);
    expect(await master.get('shared')).toBe('from clone'); // same prefix, same server
    await expect(clone.get('shared')).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    const second = master.clone();
    await master.close();
    expect(await second.get('shared')).toBe('from clone');
    await second.close();
  });

  it('does no I/O and costs microseconds: 1,000 clones open no connection', async () => {
    const server = await ownServer();
    const master = track(new Client(server.address));
    await master.get('warm');
    const before = (await master.stats()).get(server.address)!.total_connections;
    const started = process.hrtime.bigint();
    const clones = Array.from({ length: 1000 }, () => master.clone());
    const perClone = Number(process.hrtime.bigint() - started) / 1000 / 1000;
    expect(perClone).toBeLessThan(100); // µs; typically a few
    const after = (await master.stats()).get(server.address)!.total_connections;
    expect(after).toBe(String(Number(before) + 0));
    await Promise.all(clones.map((clone) => clone.close()));
  });

  it('each clone has its own connection', async () => {
    const server = await ownServer();
    const master = track(new Client(server.address));
    const clones = [master.clone(), master.clone()].map(track);
    await Promise.all([master, ...clones].map((client) => client.set('x', 1)));
    const stats = (await master.stats()).get(server.address)!;
    expect(Number(stats.curr_connections)).toBeGreaterThanOrEqual(3);
  });
});
