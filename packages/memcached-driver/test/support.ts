import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, inject } from 'vitest';
import { Client, type ClientOptions } from '../src/index.ts';
import { type StartMemcachedOptions, startMemcached, type TestMemcached } from '../src/testing.ts';

/** The memcached the global setup started. */
export const sharedServer = (): string => inject('memcachedServer');

const clients = new Set<Client>();

/** A client on the shared server with a key prefix of its own, closed after the file. */
export function sharedClient(options: ClientOptions = {}): Client {
  const client = new Client(sharedServer(), {
    keyPrefix: `t${process.pid}${Math.random().toString(36).slice(2, 8)}:`,
    ...options,
  });
  clients.add(client);
  return client;
}

/** A client that is closed after the file. */
export function track(client: Client): Client {
  clients.add(client);
  return client;
}

const servers = new Set<TestMemcached>();
const cleanups = new Set<() => Promise<void>>();

// One hook, registered when a test file imports this module: vitest ignores afterAll() called from inside
// a test or another hook, so helpers used there record what to clean up here instead.
afterAll(async () => {
  await Promise.all([...clients].map((client) => client.close()));
  clients.clear();
  await Promise.all([...cleanups].map((cleanup) => cleanup()));
  cleanups.clear();
  await Promise.all([...servers].map((server) => server.stop()));
  servers.clear();
});

/** Starts a memcached of the file's own, stopped after the file. */
export async function ownServer(options?: StartMemcachedOptions): Promise<TestMemcached> {
  const server = await startMemcached(options);
  servers.add(server);
  return server;
}

/** Reads one server's counters. */
export async function serverStats(address: string): Promise<Record<string, string>> {
  const client = new Client(address);
  try {
    return [...(await client.stats()).values()][0]!;
  } finally {
    await client.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, checking every 5 ms; throws after `ms`. */
export async function until(condition: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

/** Reads an item's flags and stored length with a raw socket, bypassing the client. */
export function rawGet(address: string, key: string): Promise<{ flags: number; length: number }> {
  return rawCommand(address, `get ${key}\r\n`).then((reply) => {
    const match = /^VALUE \S+ (\d+) (\d+)/.exec(reply.toString('latin1'));
    if (!match) throw new Error(`no VALUE in ${reply.toString('latin1').slice(0, 80)}`);
    return { flags: Number(match[1]), length: Number(match[2]) };
  });
}

/** Stores raw bytes with the given flags, bypassing the client. */
export function rawSet(address: string, key: string, flags: number, data: Buffer): Promise<Buffer> {
  return rawCommand(
    address,
    Buffer.concat([Buffer.from(`set ${key} ${flags} 0 ${data.length}\r\n`), data, Buffer.from('\r\n')]),
  );
}

/**
 * Reads the seconds an item has left with memcached's meta get (`mg <key> t`), bypassing the client;
 * `-1` for an item that never expires, `undefined` for a miss.
 */
export async function rawTtl(address: string, key: string): Promise<number | undefined> {
  const reply = (await rawCommand(address, `mg ${key} t\r\n`, /^(HD|EN)[^\n]*\r\n$/)).toString('latin1');
  if (reply.startsWith('EN')) return undefined;
  const match = / t(-?\d+)/.exec(reply);
  if (!match) throw new Error(`no TTL in ${reply}`);
  return Number(match[1]);
}

function rawCommand(address: string, command: string | Buffer, end = /(END|STORED)\r\n$/): Promise<Buffer> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = address.startsWith('/') ? connect(address) : connect(Number(port), host!);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      const text = all.toString('latin1');
      if (end.test(text)) {
        socket.destroy();
        resolve(all);
      }
    });
    socket.on('error', reject);
    socket.write(command);
  });
}

/**
 * A fake server for what must misbehave: `reply` gets each request line and the
 * socket. Closed (its sockets destroyed first) after the file.
 */
export async function fakeServer(
  reply: (request: string, socket: Socket) => void,
): Promise<{ address: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let lf = pending.indexOf('\n');
      while (lf !== -1) {
        const line = pending.slice(0, lf + 1);
        pending = pending.slice(lf + 1);
        reply(line, socket);
        lf = pending.indexOf('\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.add(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, server, sockets };
}

/**
 * A stand-in that fronts the real server at `target` and records what the client sends: each
 * request line (up to its CRLF) in `lines`, in order. Bytes pass through both ways unchanged.
 * Closed after the file.
 */
export async function recordingProxy(target: string): Promise<{ address: string; lines: string[] }> {
  const [host, port] = target.split(':');
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), host!);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    let pending = '';
    client.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let lf = pending.indexOf('\r\n'); lf !== -1; lf = pending.indexOf('\r\n')) {
        lines.push(pending.slice(0, lf));
        pending = pending.slice(lf + 2);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.add(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, lines };
}

/** What `address` holds for `keys` (each value as latin1 text), read with raw multi-gets, bypassing the client. */
export async function rawValues(address: string, keys: readonly string[]): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  for (let i = 0; i < keys.length; i += 100) {
    const reply = await rawCommand(address, `get ${keys.slice(i, i + 100).join(' ')}\r\n`, /(^|\r\n)END\r\n$/);
    let at = 0;
    for (;;) {
      const lineEnd = reply.indexOf('\r\n', at);
      const [word, key, , bytes] = reply.toString('latin1', at, lineEnd).split(' ');
      if (word !== 'VALUE') break;
      const start = lineEnd + 2;
      held.set(key!, reply.toString('latin1', start, start + Number(bytes)));
      at = start + Number(bytes) + 2;
    }
  }
  return held;
}
