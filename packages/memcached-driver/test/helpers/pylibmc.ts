// Test helpers that let libmemcached itself (through Debian's pylibmc and
// /usr/bin/python3) answer how it hashes and places keys, and a tiny memcached
// launcher for the distribution tests.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { DistributionKind, DistributionServer } from '../../src/distribution/index.js';

/** The Python that has pylibmc (the `python3` on PATH may be a pyenv one without it). */
export const PYTHON = process.env.PYLIBMC_PYTHON ?? '/usr/bin/python3';

const HELPER = fileURLToPath(new URL('./pylibmc_distribution.py', import.meta.url));
export const VECTORS_SCRIPT = fileURLToPath(new URL('./pylibmc_vectors.py', import.meta.url));

/** Whether `PYTHON` can import pylibmc. */
export const hasPylibmc: boolean = spawnSync(PYTHON, ['-c', 'import pylibmc'], { stdio: 'ignore' }).status === 0;

/** Whether a `memcached` binary is on PATH. */
export const hasMemcached: boolean = spawnSync('memcached', ['-h'], { stdio: 'ignore' }).status === 0;

/** pylibmc's behaviors for each of our distribution kinds. */
export const BEHAVIORS: Readonly<Record<DistributionKind, Record<string, unknown>>> = {
  modula: {},
  ketama: { ketama: true },
  'ketama-weighted': { ketama_weighted: true },
};

/** Runs the Python helper with one JSON request and resolves to its JSON answer. */
export async function askPylibmc<T>(request: Record<string, unknown>): Promise<T> {
  const child = spawn(PYTHON, [HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  child.stdin.end(JSON.stringify(request));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`pylibmc helper exited with ${code}: ${err}`);
  return JSON.parse(out) as T;
}

/** Parses a server spec as pylibmc's `translate_server_spec` does. */
export function parseSpec(spec: string): DistributionServer {
  if (spec.startsWith('/')) return { host: spec, port: 0, weight: 1 };
  let host: string;
  let rest: string | undefined;
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    host = spec.slice(1, end);
    rest = spec.length > end + 1 ? spec.slice(end + 2) : undefined;
  } else {
    const colon = spec.indexOf(':');
    host = colon === -1 ? spec : spec.slice(0, colon);
    rest = colon === -1 ? undefined : spec.slice(colon + 1);
  }
  const [port = '11211', weight = '1'] = rest === undefined ? [] : rest.split(':');
  return { host, port: Number(port), weight: Number(weight) };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A free TCP port on 127.0.0.1 (listen on port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** One memcached process this test started. */
export interface RunningMemcached {
  readonly port: number;
  readonly process: ChildProcess;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts memcached on a free loopback port and resolves once it accepts connections. */
export async function startMemcached(): Promise<RunningMemcached> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave a memcached behind, even when the test process dies.
    process.once('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64'];
    if (process.getuid?.() === 0) args.unshift('-u', 'nobody');
    const child = spawn('memcached', args, { stdio: 'ignore' });
    running.add(child);
    child.once('exit', () => running.delete(child));
    // A port taken between freePort() and the bind makes memcached exit soon
    // after the connect check may have reached the other listener; wait it out.
    if ((await accepts(port, child)) && (await stillRunning(child, 100))) return { port, process: child };
    await stopMemcached({ port, process: child });
    if (attempt === 4) throw new Error('memcached did not start');
  }
}

async function stillRunning(child: ChildProcess, ms: number): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return child.exitCode === null && child.signalCode === null;
}

async function accepts(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/** Stops a memcached this test started and waits for it to exit. */
export async function stopMemcached(server: RunningMemcached): Promise<void> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/**
 * Which of `keys` a memcached on `port` holds, asked directly over a raw
 * socket with batched `get k1 k2 ...` commands (no client library involved).
 */
export async function keysHeldBy(port: number, keys: readonly Uint8Array[]): Promise<Set<string>> {
  const socket = new Socket();
  socket.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const held = new Set<string>();
  try {
    const BATCH = 100;
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      const command = Buffer.concat([
        Buffer.from('get'),
        ...batch.flatMap((k) => [Buffer.from(' '), Buffer.from(k)]),
        Buffer.from('\r\n'),
      ]);
      const reply = await roundTrip(socket, command);
      // Reply: (VALUE <key> <flags> <bytes>\r\n<data>\r\n)* END\r\n
      let at = 0;
      for (;;) {
        const lineEnd = reply.indexOf('\r\n', at);
        const line = reply.subarray(at, lineEnd);
        if (line.toString('latin1') === 'END') break;
        const fields = line.toString('latin1').split(' ');
        const bytes = Number(fields[3]);
        held.add(Buffer.from(fields[1] as string, 'latin1').toString('hex'));
        at = lineEnd + 2 + bytes + 2;
      }
    }
  } finally {
    socket.destroy();
  }
  return held;
}

async function roundTrip(socket: Socket, command: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (all.length >= 5 && all.subarray(-5).toString('latin1') === 'END\r\n') {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve(all);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(command);
  });
}

/** The keys (as hex) that pylibmc, given `servers` and `behaviors`, does not find where libmemcached places them. */
export async function missedByPylibmc(
  servers: readonly string[],
  keys: readonly string[],
  behaviors: Record<string, unknown>,
): Promise<string[]> {
  const request = { op: 'get', servers, behaviors, keys: keys.map((key) => hex(Buffer.from(key))) };
  return (await askPylibmc<{ missing: string[] }>(request)).missing;
}
