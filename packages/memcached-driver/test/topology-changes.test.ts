// Live topology changes on real memcached servers: setServers while a master and its clones run a
// steady load of mixed commands. A model of every server's contents, kept from the ring each command
// was routed by, says what every read must return; the servers' own counters say each command reached
// the server it was routed to exactly once; raw per-server reads at the end say every value sits on the
// server that owns it; and pylibmc (libmemcached) places every key as our ring does after each change.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Client, channelNames, createDistribution, type Distribution, type TopologyChange } from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import { askPylibmc, hasPylibmc, hex, missedByPylibmc } from './helpers/pylibmc.ts';
import { ownServer, rawValues, serverStats, sleep, track, until } from './support.ts';

/** Where a list of servers places each key: our ketama ring over it. */
class Ring {
  readonly servers: readonly string[];
  readonly #distribution: Distribution;
  constructor(servers: readonly string[]) {
    this.servers = servers;
    this.#distribution = createDistribution(
      servers.map((server) => parseServer(server)),
      'ketama',
    );
  }
  owner(key: string): string {
    return this.servers[this.#distribution.serverFor(Buffer.from(key))]!;
  }
}

/** What each server holds, and what each server was asked: kept by the load as its commands settle. */
class Model {
  readonly held = new Map<string, Map<string, string>>();
  readonly asked = new Map<string, { gets: number; sets: number; deletes: number }>();
  on(server: string): Map<string, string> {
    let held = this.held.get(server);
    if (held === undefined) {
      held = new Map();
      this.held.set(server, held);
    }
    return held;
  }
  count(server: string, command: 'gets' | 'sets' | 'deletes', n = 1): void {
    let asked = this.asked.get(server);
    if (asked === undefined) {
      asked = { gets: 0, sets: 0, deletes: 0 };
      this.asked.set(server, asked);
    }
    asked[command] += n;
  }
}

interface Load {
  readonly wrong: string[];
  readonly failures: unknown[];
  ops: number;
  stop(): Promise<void>;
}

/**
 * Workers that each own their keys and run set, get, add, delete and getMulti on them, each command
 * on the next client in turn, checking every answer against the model of the ring it was sent by.
 */
function mixedLoad(clients: readonly Client[], model: Model, ring: () => Ring, workers = 12): Load {
  const load: Load = { wrong: [], failures: [], ops: 0, stop: async () => {} };
  let running = true;
  let turn = 0;
  const worker = async (w: number) => {
    const keys = Array.from({ length: 40 }, (_, j) => `w${w}:k${j}`);
    for (let seq = 0; running; seq++) {
      const client = clients[turn++ % clients.length]!;
      const key = keys[(seq * 7 + w) % keys.length]!;
      // Read the ring in the same synchronous step as the command: it is the one the command is routed by.
      const r = ring();
      const owner = r.owner(key);
      const held = model.on(owner);
      const value = `${key}=${seq}`;
      try {
        switch (seq % 5) {
          case 0: {
            const stored = await client.set(key, value);
            model.count(owner, 'sets');
            if (stored !== true) load.wrong.push(`set ${key} on ${owner}: ${stored}`);
            held.set(key, value);
            break;
          }
          case 1:
          case 3: {
            const got = await client.get(key);
            model.count(owner, 'gets');
            if (got !== held.get(key)) load.wrong.push(`get ${key} on ${owner}: ${got}, not ${held.get(key)}`);
            break;
          }
          case 2: {
            const expected = !held.has(key);
            const added = await client.add(key, value);
            model.count(owner, 'sets');
            if (added !== expected) load.wrong.push(`add ${key} on ${owner}: ${added}`);
            if (added) held.set(key, value);
            break;
          }
          default: {
            if (seq % 10 === 4) {
              const expected = held.has(key);
              const deleted = await client.delete(key);
              model.count(owner, 'deletes');
              if (deleted !== expected) load.wrong.push(`delete ${key} on ${owner}: ${deleted}`);
              held.delete(key);
            } else {
              const some = keys.slice(seq % 30, (seq % 30) + 5);
              const owners = some.map((k) => r.owner(k));
              const hits = await client.getMulti(some);
              some.forEach((k, i) => {
                model.count(owners[i]!, 'gets');
                const expected = model.on(owners[i]!).get(k);
                if (hits.get(k) !== expected) load.wrong.push(`getMulti ${k} on ${owners[i]}: ${hits.get(k)}`);
              });
            }
          }
        }
        load.ops++;
      } catch (error) {
        load.failures.push(error);
      }
      if (seq % 4 === 0) await new Promise(setImmediate);
    }
  };
  const loops = Array.from({ length: workers }, (_, w) => worker(w));
  load.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return load;
}

const connections = async (address: string) => Number((await serverStats(address)).curr_connections);

describe('setServers under a steady load of mixed commands', () => {
  it('loses, repeats and misroutes nothing: every answer is what the owning server holds, on a master and its clones', async () => {
    const servers = await Promise.all([ownServer(), ownServer(), ownServer(), ownServer()]);
    const [a, b, c, d] = servers.map((server) => server.address) as [string, string, string, string];
    // An idle server has one connection: the stats client's own. Each client adds one.
    const idle = await connections(a);
    const master = track(new Client([a, b, c], { distribution: 'ketama', timeoutMs: 5000 }));
    const clients = [master, track(master.clone()), track(master.clone())];
    const changes: TopologyChange[] = [];
    clients[1]!.on('topology', (change) => changes.push(change));
    const model = new Model();
    let ring = new Ring([a, b, c]);
    const load = mixedLoad(clients, model, () => ring);
    const steps: (readonly string[])[] = [
      [a, b, c, d], // grow
      [a, c, d], // lose b: its connections drain and close
      [a, b, c, d], // b back, with what it held before
      [b, d], // shrink by two
      [d, b, a], // reorder and grow
    ];
    const drained: Promise<void>[] = [];
    try {
      await sleep(150);
      for (const step of steps) {
        const opsBefore = load.ops;
        // The ring the model routes by changes in the same synchronous step as the client's.
        ring = new Ring(step);
        drained.push(clients[step.length % 3]!.setServers(step));
        await until(() => load.ops > opsBefore + 300, 10_000);
      }
    } finally {
      await load.stop();
    }
    await Promise.all(drained);
    expect(load.failures).toEqual([]);
    expect(load.wrong).toEqual([]);
    expect(load.ops).toBeGreaterThan(1500);
    // Every client follows; each change was announced once per client.
    for (const client of clients) expect(client.servers).toEqual([d, b, a]);
    expect(changes.map((change) => change.servers)).toEqual(steps);
    expect(changes.map((change) => change.source)).toEqual(steps.map(() => 'setServers'));
    expect(changes[0]).toMatchObject({ added: [d], removed: [] });
    expect(changes[1]).toMatchObject({ added: [], removed: [b] });
    expect(changes[3]).toMatchObject({ added: [], removed: [a, c] });
    expect(changes[4]).toMatchObject({ added: [a], removed: [] });

    // Each server was asked exactly what was routed to it, once: nothing lost, nothing sent twice.
    for (const address of [a, b, c, d]) {
      const stats = await serverStats(address);
      const asked = model.asked.get(address) ?? { gets: 0, sets: 0, deletes: 0 };
      expect({
        server: address,
        gets: Number(stats.cmd_get),
        sets: Number(stats.cmd_set),
        deletes: Number(stats.delete_hits) + Number(stats.delete_misses),
      }).toEqual({ server: address, ...asked });
    }
    // Raw reads: each server holds exactly what the model says it holds.
    const keys = Array.from({ length: 12 }, (_, w) => Array.from({ length: 40 }, (_, j) => `w${w}:k${j}`)).flat();
    for (const address of [a, b, c, d]) {
      const held = await rawValues(address, keys);
      expect([...held].sort()).toEqual([...model.on(address)].sort());
    }
    // The servers that left have no connection of ours left; the ones that stayed, one per client.
    await until(async () => (await connections(c)) === idle, 2000);
    expect(await connections(a)).toBe(idle + clients.length);
  });

  it.runIf(hasPylibmc)(
    'places every key as pylibmc does after each change',
    async () => {
      const servers = await Promise.all([ownServer(), ownServer(), ownServer(), ownServer(), ownServer()]);
      const addresses = servers.map((server) => server.address);
      const client = track(new Client(addresses.slice(0, 2), { distribution: 'ketama' }));
      const keys = Array.from({ length: 2000 }, (_, i) => `pl:${i}`);
      for (const step of [
        addresses.slice(0, 3),
        addresses.slice(0, 5),
        addresses.slice(1, 4),
        [addresses[4]!, addresses[0]!],
      ]) {
        await client.setServers(step);
        const tag = step.length;
        await client.setMulti(keys.map((key) => [key, `${tag}`] as const));
        expect(await missedByPylibmc(step, keys, { ketama: true })).toEqual([]);
        const places = await askPylibmc<number[]>({
          op: 'place',
          servers: step,
          behaviors: { ketama: true },
          keys: keys.map((key) => hex(Buffer.from(key))),
        });
        const ring = new Ring(step);
        expect(keys.filter((key, i) => step[places[i]!] !== ring.owner(key))).toEqual([]);
        // And the client wrote each key there, and nowhere else in this list.
        for (const address of step) {
          const held = await rawValues(address, keys);
          const mine = keys.filter((key) => ring.owner(key) === address);
          expect(mine.every((key) => held.get(key) === `${tag}`)).toBe(true);
        }
      }
    },
    60_000,
  );
});

describe('setServers', () => {
  it('moves only the keys the ring must move: adding a fourth server moves about a quarter, all to it', async () => {
    const servers = await Promise.all([ownServer(), ownServer(), ownServer(), ownServer()]);
    const [a, b, c, d] = servers.map((server) => server.address) as [string, string, string, string];
    const client = track(new Client([a, b, c], { distribution: 'ketama' }));
    const keys = Array.from({ length: 3000 }, (_, i) => `move:${i}`);
    expect(await client.setMulti(keys.map((key) => [key, 'before'] as const))).toEqual([]);
    await client.setServers([a, b, c, d]);
    const hits = await client.getMulti(keys);
    // A key still found was not moved; every miss is a key the new server now owns.
    const moved = keys.filter((key) => !hits.has(key));
    expect(moved.length / keys.length).toBeGreaterThan(0.15);
    expect(moved.length / keys.length).toBeLessThan(0.35);
    const after = new Ring([a, b, c, d]);
    expect(moved.every((key) => after.owner(key) === d)).toBe(true);
    expect(keys.filter((key) => after.owner(key) === d)).toEqual(moved);
  });

  it('lets operations in flight on a removed server finish on their connection, then closes it', async () => {
    const servers = await Promise.all([ownServer(), ownServer()]);
    const [a, b] = servers.map((server) => server.address) as [string, string];
    const idle = await connections(b);
    const client = track(new Client([a, b], { distribution: 'ketama', timeoutMs: 5000 }));
    const key = Array.from({ length: 100 }, (_, i) => `flight:${i}`).find((k) => new Ring([a, b]).owner(k) === b)!;
    await client.set(key, 'on b');
    await servers[1]!.pause();
    let drained = false;
    let pending: Promise<unknown>[] = [];
    try {
      pending = [client.get(key), client.set(key, 'still b'), client.get(key)];
      const change = client.setServers([a]).then(() => {
        drained = true;
      });
      // Routed by the new list from now on: the key is a's, and a answers at once.
      expect(await client.get(key)).toBeUndefined();
      await sleep(100);
      expect(drained).toBe(false);
      servers[1]!.resume();
      expect(await Promise.all(pending)).toEqual(['on b', true, 'still b']);
      await change;
      expect(drained).toBe(true);
    } finally {
      servers[1]!.resume();
    }
    await until(async () => (await connections(b)) === idle, 2000);
  });

  it('keeps the connection and the failover health of servers that stay', async () => {
    const servers = await Promise.all([ownServer(), ownServer(), ownServer(), ownServer()]);
    const [a, b, c, d] = servers.map((server) => server.address) as [string, string, string, string];
    const client = track(new Client([a, b, c], { distribution: 'ketama', removeFailed: 1, retryTimeoutMs: 300 }));
    const events: string[] = [];
    const connects: string[] = [];
    client.on('connect', (server) => connects.push(server));
    client.on('eject', (server) => events.push(`eject ${server}`));
    client.on('rejoin', (server) => events.push(`rejoin ${server}`));
    const keys = Array.from({ length: 200 }, (_, i) => `health:${i}`);
    await client.setMulti(keys.map((key) => [key, 1] as const));
    await servers[1]!.stop();
    await client.getMulti(keys);
    expect(events).toEqual([`eject ${b}`]);
    await client.setServers([a, b, c, d]);
    // b is still off the ring: its keys go to the others, and nothing connects to it before its probe.
    const ring = new Ring([a, c, d]);
    expect(await client.setMulti(keys.map((key) => [key, 2] as const))).toEqual([]);
    expect(client.serverStats().get(b)).toMatchObject({ offRing: 1, ejections: 1 });
    for (const address of [a, c, d]) {
      const held = await rawValues(address, keys);
      expect(keys.filter((key) => ring.owner(key) === address).every((key) => held.get(key) === '2')).toBe(true);
    }
    // a and c kept their connections: the only new one is d's (b's first was made before it died).
    expect(connects.sort()).toEqual([a, b, c, d].sort());
    await servers[1]!.restart();
    await until(() => events.length === 2, 3000);
    expect(events[1]).toBe(`rejoin ${b}`);
    expect(client.serverStats().get(b)).toMatchObject({ offRing: 0 });
  });

  it('refuses a bad list before anything changes, and ignores the same list', async () => {
    const [one, two] = await Promise.all([ownServer(), ownServer()]);
    const client = track(new Client([one.address], { distribution: 'ketama' }));
    const changes: TopologyChange[] = [];
    client.on('topology', (change) => changes.push(change));
    await expect(client.setServers('localhost:port')).rejects.toMatchObject({ code: 'ERR_INVALID_SERVER' });
    await expect(client.setServers([])).rejects.toMatchObject({ code: 'ERR_INVALID_SERVER' });
    await expect(client.setServers(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_SERVER' });
    await client.setServers([one.address]);
    expect(changes).toEqual([]);
    expect(client.servers).toEqual([one.address]);
    await client.setServers(`${one.address},${two.address}`);
    expect(changes).toHaveLength(1);
    await client.close();
    await expect(client.setServers([two.address])).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
  });

  it('reaches every clone, whenever it was made, and clones made later start with the new list', async () => {
    const [one, two] = await Promise.all([ownServer(), ownServer()]);
    const master = track(new Client([one.address], { distribution: 'ketama' }));
    const early = track(master.clone());
    await early.setServers([one.address, two.address]);
    const late = track(master.clone());
    expect([master.servers, early.servers, late.servers]).toEqual([
      [one.address, two.address],
      [one.address, two.address],
      [one.address, two.address],
    ]);
    // Closing the master leaves its clones following each other.
    await master.close();
    await late.setServers([two.address]);
    expect(early.servers).toEqual([two.address]);
  });

  it("publishes each change once on clonepool:memcached:topology, whatever the fleet's size", async () => {
    const [one, two] = await Promise.all([ownServer(), ownServer()]);
    const master = track(new Client([one.address], { distribution: 'ketama' }));
    for (let i = 0; i < 5; i++) track(master.clone());
    const messages: TopologyChange[] = [];
    const listener = (message: unknown) => messages.push(message as TopologyChange);
    subscribe(channelNames.topology, listener);
    try {
      await master.setServers([one.address, two.address]);
    } finally {
      unsubscribe(channelNames.topology, listener);
    }
    expect(messages).toEqual([
      { servers: [one.address, two.address], added: [two.address], removed: [], source: 'setServers' },
    ]);
  });

  it('lets a clone dropped without close() be collected, and forgets it', async () => {
    const server = await ownServer();
    const master = track(new Client(server.address));
    const collected: number[] = [];
    const registry = new FinalizationRegistry<number>((i) => collected.push(i));
    for (let i = 0; i < 20; i++) registry.register(master.clone(), i);
    for (let round = 0; round < 20 && collected.length < 20; round++) {
      globalThis.gc!();
      await sleep(10);
    }
    expect(collected.length).toBe(20);
    await master.setServers(`${server.address},${server.address}`);
  });
});
