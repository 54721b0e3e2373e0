/**
 * Real memcached servers for tests: `startMemcached()` on a free loopback port, and `makeTestClient()`.
 *
 * @packageDocumentation
 * @module @clonepool/memcached/testing
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from './client.js';
import type { ClientOptions } from './options.js';

/**
 * How to start a test memcached.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 * import { startMemcached } from '@clonepool/memcached/testing';
 *
 * const server = await startMemcached({ unixSocket: true, memoryMb: 16, args: ['-I', '2m'] });
 * const client = new Client(server.address, { maxValueBytes: 2 * 1024 * 1024 - 512 });
 * console.log(await client.set('big', Buffer.alloc(1_500_000)));
 * await client.close();
 * await server.stop();
 * // → true
 * ```
 */
export interface StartMemcachedOptions {
  /**
   * Listen on a UNIX socket in a fresh temporary directory instead of a loopback TCP port.
   * @default false
   */
  readonly unixSocket?: boolean;
  /**
   * The loopback address to listen on: `'127.0.0.1'`, or `'::1'` for IPv6 (the
   * address is then `[::1]:port`). Ignored with `unixSocket`.
   * @default '127.0.0.1'
   */
  readonly host?: '127.0.0.1' | '::1';
  /**
   * The TCP port to listen on; by default a free one is picked (and another is
   * tried if it was taken meanwhile).
   * @default a free port
   */
  readonly port?: number;
  /**
   * More `memcached` arguments, such as `['-I', '2m']`, `['-Y', authFile]` or TLS's `['-Z', '-o', '…']`.
   * @default []
   */
  readonly args?: readonly string[];
  /**
   * The memory limit, in megabytes (`-m`).
   * @default 64
   */
  readonly memoryMb?: number;
  /**
   * The binary to run.
   * @default process.env.MEMCACHED_BIN ?? 'memcached'
   */
  readonly binary?: string;
}

/**
 * A running test memcached.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 * import { startMemcached } from '@clonepool/memcached/testing';
 *
 * const server = await startMemcached();
 * const client = new Client(server.address, { timeoutMs: 200 });
 * await server.pause(); // SIGSTOP: the server stops answering
 * await client.get('k').catch((error) => console.log(error.code));
 * server.resume();
 * await client.close();
 * await server.stop();
 * // → ERR_MEMCACHED_TIMEOUT
 * ```
 */
export interface TestMemcached {
  /** The address to give a {@link Client}: `127.0.0.1:port`, `[::1]:port` or the socket path. */
  readonly address: string;
  /** `127.0.0.1` (or `::1`), or the socket path. */
  readonly host: string;
  /** The TCP port; 0 for a UNIX socket. */
  readonly port: number;
  /** The server's process id (a new one after {@link TestMemcached.restart}). */
  readonly pid: number;
  /**
   * Freezes the server (`SIGSTOP`): it accepts connections but answers nothing.
   * Resolves once every thread of it has stopped (read from `/proc` on Linux).
   */
  pause(): Promise<void>;
  /** Lets a paused server run again (`SIGCONT`). */
  resume(): void;
  /** Kills the server and waits for it to exit; idempotent. */
  stop(): Promise<void>;
  /**
   * Starts the server again at the same address, with the same arguments (an
   * empty cache), after killing it if it still runs: a server that comes back.
   * Resolves once it accepts connections; rejects if the port was taken meanwhile.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   * import { startMemcached } from '@clonepool/memcached/testing';
   *
   * const server = await startMemcached();
   * const client = new Client(server.address, { retryTimeoutMs: 0 });
   * await client.set('k', 'v');
   * await server.restart();
   * console.log(await client.get('k')); // the client saw the old connection close: a new one, an empty cache
   * await client.close();
   * await server.stop();
   * // → undefined
   * ```
   */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test run that crashes or forgets stop() must not leave memcached behind.
  process.once('exit', () => {
    for (const child of running) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
}

/**
 * Kills memcached `pid` if this process dies without running its exit hook
 * (SIGKILL, or a test runner terminating its worker): a tiny shell loop checks
 * both processes every second and ends with them. It holds nothing of ours.
 */
function watch(pid: number): void {
  if (process.platform === 'win32') return;
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null`;
  const watchdog = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
  watchdog.on('error', () => {}); // no shell: the exit hook still covers a normal exit
  watchdog.unref();
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(target: { port: number; host: string } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Waits until every thread of `pid` is stopped: a signal is delivered
 * asynchronously, and a worker thread running on another core may still answer a
 * request or two after `kill()` returned.
 */
async function stopped(pid: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 2000) {
    let all = true;
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'latin1');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'T' && state !== 't') all = false;
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50)); // no /proc: give the signal time to land
      return;
    }
    if (all) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Starts a real `memcached` on a free loopback port (or a UNIX socket) and
 * waits until it accepts connections. The server is killed by `stop()`, and in
 * any case when this process exits; it does not keep the process alive.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 * import { startMemcached } from '@clonepool/memcached/testing';
 *
 * const server = await startMemcached();
 * const client = new Client(server.address);
 * await client.set('k', 'v');
 * console.log(await client.get('k'));
 * await client.close();
 * await server.stop();
 * // → v
 * ```
 */
export async function startMemcached(options: StartMemcachedOptions = {}): Promise<TestMemcached> {
  killAllOnExit();
  const binary = options.binary ?? process.env.MEMCACHED_BIN ?? 'memcached';
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    let dir: string | undefined;
    let target: { port: number; host: string } | { path: string };
    const args = ['-m', String(options.memoryMb ?? 64), '-t', '1', '-c', '4096', '-U', '0'];
    if (options.unixSocket) {
      dir = mkdtempSync(join(tmpdir(), 'clonepool-memcached-'));
      // memcached may drop privileges (-u nobody) before it creates the socket.
      chmodSync(dir, 0o777);
      const path = join(dir, 'memcached.sock');
      target = { path };
      args.push('-s', path, '-a', '0777');
    } else {
      // Another process may take the port between this check and memcached's bind; then we retry.
      const host = options.host ?? '127.0.0.1';
      const port = options.port ?? (await freePort(host));
      target = { port, host };
      args.push('-l', host, '-p', String(port));
    }
    if (process.getuid?.() === 0) args.push('-u', 'nobody');
    args.push(...(options.args ?? []));
    let run: Run;
    try {
      run = await spawnServer(binary, args, target);
    } catch (error) {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      lastError = error as Error;
      continue;
    }
    const socketDir = dir;
    const address =
      'path' in target ? target.path : `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const stop = async (): Promise<void> => {
      await run.kill();
      if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
    };
    return {
      address,
      host: 'path' in target ? target.path : target.host,
      port: 'path' in target ? 0 : target.port,
      get pid() {
        return run.pid;
      },
      pause: () => run.pause(),
      resume: () => run.resume(),
      stop,
      restart: async () => {
        await run.kill();
        run = await spawnServer(binary, args, target);
      },
    };
  }
  throw new Error(`Could not start memcached (${binary}); is it installed and on PATH? ${lastError?.message ?? ''}`);
}

/** One memcached process of a {@link TestMemcached}: a restart makes another. */
interface Run {
  readonly pid: number;
  pause(): Promise<void>;
  resume(): void;
  /** Kills the process and waits for it to exit; idempotent. */
  kill(): Promise<void>;
}

/** Spawns memcached with `args` and waits until it accepts connections on `target`; rejects if it exits first. */
async function spawnServer(
  binary: string,
  args: readonly string[],
  target: { port: number; host: string } | { path: string },
): Promise<Run> {
  const child = spawn(binary, args, { stdio: 'ignore' });
  child.unref();
  running.add(child);
  let exited = false;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  const started = Date.now();
  while (!exited && Date.now() - started < 10_000) {
    if (await canConnect(target)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (exited || child.pid === undefined) {
    throw spawnError ?? new Error(`memcached exited at start (args: ${args.join(' ')})`);
  }
  const pid = child.pid;
  watch(pid);
  return {
    pid,
    pause: async () => {
      if (exited) return;
      child.kill('SIGSTOP');
      await stopped(pid);
    },
    resume: () => {
      if (!exited) child.kill('SIGCONT');
    },
    kill: async () => {
      if (!exited) {
        child.ref(); // hold the process until the exit is seen, so kill() resolves
        // SIGKILL ends a SIGSTOPped process too; a SIGCONT first would let it answer before dying.
        child.kill('SIGKILL');
      }
      await exit;
    },
  };
}

/**
 * Makes a client for tests, like pylibmc's `make_test_client`: it uses the
 * servers in `MEMCACHED_SERVERS` (comma-separated) when set, else starts a
 * memcached that stops when the client is closed.
 *
 * @param options - The client's options.
 *
 * @example
 * ```ts
 * import { makeTestClient } from '@clonepool/memcached/testing';
 *
 * const client = await makeTestClient({ keyPrefix: 'test:' });
 * await client.set('answer', 42);
 * console.log(await client.get('answer'));
 * await client.close();
 * // → 42
 * ```
 */
export async function makeTestClient(options?: ClientOptions): Promise<Client> {
  const servers = process.env.MEMCACHED_SERVERS;
  if (servers !== undefined && servers.trim() !== '') return new Client(servers, options);
  const server = await startMemcached();
  const client = new Client(server.address, options);
  client.once('close', () => {
    void server.stop();
  });
  return client;
}
