// Auto-discovery against a stand-in for an ElastiCache configuration endpoint: a small node:net
// server answering `config get cluster` with a node list we change mid-run, in front of real memcached
// servers. Every data operation goes to real memcached; the endpoint only names them.
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client, type ClientOptions, createDistribution, type TopologyChange } from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import { hasPylibmc, missedByPylibmc } from './helpers/pylibmc.ts';
import { fakeServer, ownServer, rawValues, sleep, track, until } from './support.ts';

/** The answer to `config get cluster` for `nodes` (`host:port`), as ElastiCache writes it. */
function clusterConfig(version: number, nodes: readonly string[], hostName = true): string {
  const entries = nodes.map((node) => {
    const [host, port] = node.split(':');
    return hostName ? `${host}|${host}|${port}` : `|${host}|${port}`;
  });
  const data = `${version}\n${entries.join(' ')}\n`;
  return `CONFIG cluster 0 ${data.length}\r\n${data}\r\nEND\r\n`;
}

/** A configuration endpoint whose answer the test sets; it counts the requests it gets. */
async function configEndpoint(version: number, nodes: readonly string[]) {
  const state = { answer: clusterConfig(version, nodes), requests: 0, stall: false };
  const { address, server, sockets } = await fakeServer((line: string, socket: Socket) => {
    if (line !== 'config get cluster\r\n') {
      socket.write('ERROR\r\n');
      return;
    }
    state.requests++;
    if (!state.stall) socket.write(state.answer);
  });
  return {
    address,
    get requests() {
      return state.requests;
    },
    /** How many connections are open to it now. */
    get open() {
      return sockets.size;
    },
    answer(version: number, nodes: readonly string[], hostName = true) {
      state.answer = clusterConfig(version, nodes, hostName);
    },
    answerRaw(text: string) {
      state.answer = text;
    },
    stall(on: boolean) {
      state.stall = on;
    },
    async shutDown() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function discovering(endpoint: string, options: ClientOptions = {}, servers: string[] = []): Client {
  return track(
    new Client(servers, {
      distribution: 'ketama',
      discovery: { endpoint, intervalMs: 100 },
      timeoutMs: 300,
      ...options,
    }),
  );
}

function errorsOf(client: Client): Error[] {
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  return errors;
}

const owner = (servers: readonly string[]) => {
  const ring = createDistribution(
    servers.map((server) => parseServer(server)),
    'ketama',
  );
  return (key: string) => servers[ring.serverFor(Buffer.from(key))]!;
};

describe('discovery', () => {
  it('starts with no servers: commands fail fast until the first list, then go to the nodes it names', async () => {
    const nodes = await Promise.all([ownServer(), ownServer()]);
    const addresses = nodes.map((node) => node.address);
    const endpoint = await configEndpoint(1, addresses);
    endpoint.stall(true);
    const client = discovering(endpoint.address);
    await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', server: endpoint.address });
    await expect(client.getMulti(['k1', 'k2'])).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    expect(client.servers).toEqual([]);
    endpoint.stall(false);
    const [change] = (await once(client, 'topology')) as [TopologyChange];
    expect(change).toEqual({ servers: addresses, added: addresses, removed: [], source: 'discovery' });
    const keys = Array.from({ length: 100 }, (_, i) => `disc:${i}`);
    expect(await client.setMulti(keys.map((key) => [key, key] as const))).toEqual([]);
    const home = owner(addresses);
    for (const address of addresses) {
      const held = await rawValues(address, keys);
      expect([...held.keys()].sort()).toEqual(keys.filter((key) => home(key) === address).sort());
    }
  });

  it('follows the endpoint as nodes join and leave under load, and pylibmc places keys as the client does', async () => {
    const nodes = await Promise.all([ownServer(), ownServer(), ownServer(), ownServer()]);
    const [a, b, c, d] = nodes.map((node) => node.address) as [string, string, string, string];
    const endpoint = await configEndpoint(1, [a, b]);
    const client = discovering(endpoint.address, {}, [a, b]);
    const clone = track(client.clone());
    const changes: TopologyChange[] = [];
    clone.on('topology', (change) => changes.push(change));
    const failures: unknown[] = [];
    let running = true;
    let n = 0;
    const load = (async () => {
      while (running) {
        const key = `live:${n++ % 500}`;
        const one = n % 2 === 0 ? client : clone;
        await one.set(key, n).catch((error) => failures.push(error));
        await one.get(key).catch((error) => failures.push(error));
        if (n % 10 === 0) await new Promise(setImmediate);
      }
    })();
    const steps: [number, string[]][] = [
      [2, [a, b, c]],
      [3, [a, b, c, d]],
      [4, [a, c, d]],
      [5, [d, c]],
    ];
    try {
      for (const [version, list] of steps) {
        endpoint.answer(version, list);
        await until(() => changes.length === version - 1, 2000);
        expect(client.servers).toEqual(list);
        if (hasPylibmc) {
          const keys = Array.from({ length: 300 }, (_, i) => `pl:${version}:${i}`);
          await client.setMulti(keys.map((key) => [key, version] as const));
          expect(await missedByPylibmc(list, keys, { ketama: true })).toEqual([]);
        }
      }
    } finally {
      running = false;
      await load;
    }
    expect(failures).toEqual([]);
    expect(n).toBeGreaterThan(100);
    expect(changes.map((change) => change.servers)).toEqual(steps.map(([, list]) => list));
    expect(changes.every((change) => change.source === 'discovery')).toBe(true);
  });

  it('applies a list only when its config version is newer', async () => {
    const nodes = await Promise.all([ownServer(), ownServer()]);
    const [a, b] = nodes.map((node) => node.address) as [string, string];
    const endpoint = await configEndpoint(7, [a]);
    const client = discovering(endpoint.address);
    await once(client, 'topology');
    // The same version with another list (a node that has not caught up), then an older one: both ignored.
    endpoint.answer(7, [a, b]);
    const requests = endpoint.requests;
    await until(() => endpoint.requests >= requests + 2, 2000);
    endpoint.answer(6, [b]);
    await until(() => endpoint.requests >= requests + 4, 2000);
    expect(client.servers).toEqual([a]);
    endpoint.answer(8, [b]);
    await once(client, 'topology');
    expect(client.servers).toEqual([b]);
  });

  it('names a node by its IP address when its host name is empty', async () => {
    const node = await ownServer();
    const endpoint = await configEndpoint(1, []);
    endpoint.answer(1, [node.address], false);
    const client = discovering(endpoint.address);
    await once(client, 'topology');
    expect(client.servers).toEqual([node.address]);
    expect(await client.set('ip', 1)).toBe(true);
  });

  it('keeps the last good list when the endpoint answers garbage, stalls or is gone, reporting each with a typed error', async () => {
    const nodes = await Promise.all([ownServer(), ownServer()]);
    const addresses = nodes.map((node) => node.address);
    const endpoint = await configEndpoint(1, addresses);
    const client = discovering(endpoint.address);
    const errors = errorsOf(client);
    await once(client, 'topology');
    const bad: [string, string, RegExp][] = [
      ['ERROR\r\n', 'ERR_MEMCACHED_PROTOCOL', /refused \(ERROR\)/],
      ['VALUE x 0 1\r\nx\r\nEND\r\n', 'ERR_MEMCACHED_PROTOCOL', /not "CONFIG cluster"/],
      ['CONFIG cluster 0 4\r\n2\nxy\r\nEND\r\n', 'ERR_MEMCACHED_PROTOCOL', /version line and a node line/],
      [clusterConfig(2, ['host-without-port']), 'ERR_MEMCACHED_PROTOCOL', /not host\|ip\|port/],
      ['CONFIG cluster 0 3\r\n2\n\n\r\nEND\r\n', 'ERR_MEMCACHED_PROTOCOL', /lists no node/],
      ['CONFIG cluster 0 3\r\n2\nx\r\nENDS\r\n', 'ERR_MEMCACHED_PROTOCOL', /did not end with END/],
      [clusterConfig(2, ['bad_host!:1']), 'ERR_INVALID_SERVER', /bad_host/],
      ['CONFIG cluster 0 999\r\n2\n', 'ERR_MEMCACHED_TIMEOUT', /timeoutMs/],
    ];
    for (const [answer, code, message] of bad) {
      errors.length = 0;
      endpoint.answerRaw(answer);
      await until(() => errors.length > 0, 2000);
      expect({ answer, error: errors[0] }).toMatchObject({ answer, error: { code } });
      expect(errors[0]!.message).toMatch(message);
      expect(client.servers).toEqual(addresses);
      expect(await client.set('still', 'works')).toBe(true);
    }
    errors.length = 0;
    endpoint.stall(true);
    await until(() => errors.length > 0, 2000);
    expect(errors[0]).toMatchObject({ code: 'ERR_MEMCACHED_TIMEOUT', server: endpoint.address });
    errors.length = 0;
    await endpoint.shutDown();
    await until(() => errors.length > 0, 2000);
    expect(errors[0]).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', server: endpoint.address });
    expect(client.servers).toEqual(addresses);
    expect(await client.get('still')).toBe('works');
  });

  it('a first poll that fails rejects once(client, "topology") with its error', async () => {
    const endpoint = await configEndpoint(1, []);
    endpoint.answerRaw('ERROR\r\n');
    const client = discovering(endpoint.address);
    await expect(once(client, 'topology')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_PROTOCOL' });
  });

  it('stops polling when the last client of the fleet closes, and ends the poll that is out', async () => {
    const node = await ownServer();
    const endpoint = await configEndpoint(1, [node.address]);
    const client = discovering(endpoint.address);
    const clone = client.clone();
    await once(client, 'topology');
    await client.close();
    // The clone still follows the endpoint.
    let requests = endpoint.requests;
    await until(() => endpoint.requests > requests + 1, 2000);
    endpoint.stall(true);
    requests = endpoint.requests;
    await until(() => endpoint.requests > requests, 2000);
    expect(endpoint.open).toBe(1);
    await clone.close();
    await until(() => endpoint.open === 0, 1000);
    requests = endpoint.requests;
    await sleep(350);
    expect(endpoint.requests).toBe(requests);
  });

  it('refuses bad options before anything is sent', () => {
    const bad: unknown[] = [
      'cfg:11211',
      { endpoint: 'cfg:port' },
      { endpoint: 'cfg', intervalMs: 50 },
      { endpoint: 'cfg', intervalMs: 2 ** 31 },
      { endpoint: 'cfg', intervalMs: 1.5 },
      { endpoint: 'cfg', every: 1000 },
    ];
    for (const discovery of bad) {
      expect(() => new Client([], { discovery } as unknown as ClientOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
    expect(() => new Client([])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SERVER' }));
    expect(() => new Client('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SERVER' }));
  });
});
