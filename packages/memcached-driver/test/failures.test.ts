import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Client, type ClientOptions } from '../src/index.ts';
import { startMemcached } from '../src/testing.ts';
import { fakeServer, ownServer, sleep, track } from './support.ts';

describe('error replies reject only their operation', () => {
  it('SERVER_ERROR (object too large for the server) rejects that set; the connection stays in step', async () => {
    const server = await ownServer({ args: ['-I', '1m'] });
    // The client is told values may be 2 MiB, but the server keeps its 1 MiB limit.
    const client = track(new Client(server.address, { maxValueBytes: 2 * 1024 * 1024 }));
    await client.set('before', 'kept');
    const [tooBig, after] = await Promise.allSettled([
      client.set('big', Buffer.alloc(1024 * 1024 + 100, 1)),
      client.get('before'),
    ]);
    expect(tooBig).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MEMCACHED_SERVER' } });
    expect(after).toEqual({ status: 'fulfilled', value: 'kept' });
    expect(await client.get('big')).toBeUndefined();
  });

  it('a noreply write the server refuses leaves the connection in step (memcached sends no error for it)', async () => {
    const server = await ownServer({ args: ['-I', '1m'] });
    const client = track(new Client(server.address, { maxValueBytes: 2 * 1024 * 1024 }));
    await client.set('before', 'kept');
    expect(await client.set('big', Buffer.alloc(1024 * 1024 + 100, 1), { noreply: true })).toBe(true);
    expect(await Promise.all([client.get('before'), client.get('big'), client.set('after', 1)])).toEqual([
      'kept',
      undefined,
      true,
    ]);
  });

  it('CLIENT_ERROR rejects that op; ops pipelined around it get their own replies', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    await client.set('text', 'abc');
    await client.set('n', 1);
    const results = await Promise.allSettled([client.incr('n'), client.incr('text'), client.incr('n')]);
    expect(results).toMatchObject([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: { code: 'ERR_MEMCACHED_CLIENT' } },
      { status: 'fulfilled', value: 3 },
    ]);
  });
});

describe('timeouts', () => {
  it('rejects every op in flight with ERR_MEMCACHED_TIMEOUT against a SIGSTOPped server, then recovers after retryTimeoutMs', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address, { timeoutMs: 300, retryTimeoutMs: 200 }));
    await client.set('k', 'v');
    await server.pause();
    try {
      const started = Date.now();
      const results = await Promise.allSettled([client.get('k'), client.set('k', 'w'), client.getMulti(['k'])]);
      const elapsed = Date.now() - started;
      for (const result of results) {
        expect(result).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MEMCACHED_TIMEOUT' } });
      }
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(3000);
      // Within retryTimeoutMs the server is left alone: fail fast.
      await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    } finally {
      server.resume();
    }
    await sleep(250);
    // The timed-out set was still in the server's socket buffer: it may have been applied after SIGCONT.
    // A timeout says "no reply came", not "nothing happened".
    expect(['v', 'w']).toContain(await client.get('k'));
  });

  it('the deadline restarts when reply bytes arrive: a slow but moving reply is not a timeout', async () => {
    const chunks = ['VALUE a 16 4\r\n', 'ab', 'cd', '\r\nE', 'ND\r\n'];
    const { address } = await fakeServer(async (_, socket) => {
      for (const chunk of chunks) {
        await sleep(120);
        socket.write(chunk);
      }
    });
    const client = track(new Client(address, { timeoutMs: 250 }));
    expect(await client.get('a')).toBe('abcd'); // 600 ms in total, never 250 ms without a byte
  });

  it('a connect that does not finish within connectTimeoutMs rejects with ERR_MEMCACHED_TIMEOUT', async () => {
    // A TCP server that accepts but never speaks TLS: the TLS handshake never completes.
    const { address } = await fakeServer(() => {});
    const client = track(new Client(address, { tls: true, connectTimeoutMs: 200 }));
    const started = Date.now();
    await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('lost connections', () => {
  it('a refused connect rejects with ERR_MEMCACHED_CONNECTION naming the server; retryTimeoutMs later it connects again', async () => {
    const server = await startMemcached();
    const address = server.address;
    await server.stop();
    const client = track(new Client(address, { retryTimeoutMs: 300 }));
    const error = await client.get('k').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', server: address });
    expect((error as Error).message).toContain(address);
    // Restart a server on the same port.
    const again = await ownServer({ port: server.port }).catch(() => undefined);
    if (again === undefined) return; // the port was taken meanwhile; the first half still ran
    await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    await sleep(320);
    expect(await client.set('k', 1)).toBe(true);
  });

  it('a dropped connection rejects the ops in flight and the next op reconnects', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address, { timeoutMs: 5000 }));
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.on('disconnect', () => events.push('disconnect'));
    client.on('reconnect', () => events.push('reconnect'));
    client.on('error', (error) => events.push(`error ${(error as Error & { code: string }).code}`));
    await client.set('k', 'v');
    await server.pause();
    const inFlight = Promise.allSettled([client.get('k'), client.get('k')]);
    await sleep(50);
    // Kill the paused server: the kernel closes its sockets.
    await server.stop();
    for (const result of await inFlight) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MEMCACHED_CONNECTION' } });
    }
    const again = await ownServer({ port: server.port }).catch(() => undefined);
    if (again === undefined) return;
    expect(await client.get('k')).toBeUndefined(); // a new, empty server
    expect(events).toEqual(['connect', 'disconnect', 'error ERR_MEMCACHED_CONNECTION', 'reconnect']);
  });

  it('an idle connection closed by the server is re-made by the next op, without waiting', async () => {
    const server = await ownServer({ args: ['-o', 'idle_timeout=1'] });
    const client = track(new Client(server.address, { retryTimeoutMs: 60_000 }));
    const events: string[] = [];
    client.on('disconnect', (_server: string, error: unknown) => events.push(`disconnect ${error === undefined}`));
    client.on('reconnect', () => events.push('reconnect'));
    await client.set('k', 'v');
    await sleep(4000); // memcached's idle check runs every second or so; it took ~2.8 s here
    expect(await client.get('k')).toBe('v');
    expect(events).toEqual(['disconnect true', 'reconnect']);
  });

  it('a TLS option that tls.connect refuses rejects every command with its error, none is left waiting', async () => {
    const server = await ownServer();
    // tls.connect throws at once for a protocol version it does not know, before any socket exists.
    const tls = { minVersion: 'TLSv0' } as unknown as NonNullable<ClientOptions['tls']>;
    const client = track(new Client(server.address, { tls, connectTimeoutMs: 200, timeoutMs: 200 }));
    const settled = (promise: Promise<unknown>) =>
      Promise.race([
        promise.then(
          () => 'resolved',
          (error: { code?: string }) => error.code,
        ),
        sleep(1000).then(() => 'pending'),
      ]);
    expect(await settled(client.get('k'))).toBe('ERR_TLS_INVALID_PROTOCOL_VERSION');
    expect(await settled(client.set('k', 1))).toBe('ERR_TLS_INVALID_PROTOCOL_VERSION');
    expect(await settled(client.get('k'))).toBe('ERR_TLS_INVALID_PROTOCOL_VERSION');
  });

  it('one connect serves every op issued while it is under way', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    const before = Number((await track(new Client(server.address)).stats()).get(server.address)!.total_connections);
    await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`k${i}`)));
    const after = Number((await track(new Client(server.address)).stats()).get(server.address)!.total_connections);
    expect(after - before).toBe(2); // the client's one socket, and the second stats client
  });
});

describe('close', () => {
  it('lets ops in flight settle, then rejects new ones at once with ERR_CLIENT_CLOSED', async () => {
    const server = await ownServer();
    const client = new Client(server.address);
    const inFlight = [client.set('a', 1), client.get('a'), client.getMulti(['a'])];
    const closing = client.close();
    await expect(client.get('a')).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await expect(client.set('a', 2)).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await expect(client.stats()).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await closing;
    expect(await Promise.all(inFlight)).toEqual([true, 1, new Map([['a', 1]])]);
    await client.close(); // idempotent
    await client.quit();
  });

  it('writes noreply commands queued while the socket connects before closing it: the values land', async () => {
    const server = await ownServer();
    const reader = track(new Client(server.address));
    for (let round = 0; round < 5; round++) {
      const client = new Client(server.address);
      expect(await client.set(`single:${round}`, 'v', { noreply: true })).toBe(true);
      await client.close();
      const multi = new Client(server.address);
      const entries = Array.from({ length: 20 }, (_, i) => [`multi:${round}:${i}`, i] as const);
      expect(await multi.setMulti(entries, { noreply: true })).toEqual([]);
      await multi.close();
      // close() in the same tick as the write, without awaiting it.
      const sameTick = new Client(server.address);
      const write = sameTick.set(`same-tick:${round}`, 'v', { noreply: true });
      await sameTick.close();
      expect(await write).toBe(true);
      expect(await reader.getMulti([`single:${round}`, `same-tick:${round}`, ...entries.map(([key]) => key)])).toEqual(
        new Map<string, unknown>([[`single:${round}`, 'v'], [`same-tick:${round}`, 'v'], ...entries]),
      );
    }
  });

  it('a write queued while connecting to a server that refuses never resolves true', async () => {
    const server = await startMemcached();
    await server.stop();
    const client = new Client(server.address);
    const write = client.set('k', 'v');
    await client.close();
    await expect(write).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
  });

  it('drops bytes that follow the last reply while closing: no error after close()', async () => {
    // Answers a get with its END and, in the same write, a line no command asked for.
    const { address } = await fakeServer((line, socket) => {
      if (line.startsWith('get')) socket.write('END\r\nEND\r\n');
    });
    const client = new Client(address);
    const errors: string[] = [];
    client.on('error', (error) => errors.push((error as Error & { code: string }).code));
    const pending = client.get('k');
    await client.close();
    expect(await pending).toBeUndefined();
    await sleep(20);
    expect(errors).toEqual([]);
  });

  it('close against a stopped server settles by timeoutMs', async () => {
    const server = await ownServer();
    const client = new Client(server.address, { timeoutMs: 200 });
    await client.set('a', 1);
    await server.pause();
    try {
      const pending = client.get('a');
      await client.close();
      await expect(pending).rejects.toMatchObject({ code: 'ERR_MEMCACHED_TIMEOUT' });
    } finally {
      server.resume();
    }
  });

  it("leaves no handle behind, not even an unref'd timer: a program that uses and closes a client exits on its own", async () => {
    const server = await ownServer();
    const script = `
      const { createHook } = await import('node:async_hooks');
      const { Client } = await import( ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))});
      // getActiveResourcesInfo() lists only what holds the process (ref'd timers, for one): an async hook
      // sees every socket, connect, timer and immediate the client makes, unref'd or not, until destroyed.
      const kinds = new Set(['TCPWRAP', 'TCPCONNECTWRAP', 'PIPEWRAP', 'PIPECONNECTWRAP', 'TLSWRAP', 'Timeout', 'Immediate']);
      const live = new Map();
      let tracking = true;
      createHook({
        init(id, type) { if (tracking && kinds.has(type)) live.set(id, type); },
        destroy(id) { live.delete(id); },
      }).enable();
      const client = new Client(process.argv.at(-1), { timeoutMs: 30000, connectTimeoutMs: 30000, retryTimeoutMs: 30000 });
      await client.set('exit', 'yes');
      const clone = client.clone();
      await clone.get('exit');
      await Promise.all([client.set('exit', 'again'), clone.getMulti(['exit'])]);
      await Promise.all([client.close(), clone.close()]);
      tracking = false;
      // Destroy hooks run a turn or two after a handle closes.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      // What a client could leak: a socket, a connect in flight, a timer or an immediate. (Newer Nodes also list
      // the loader's own file reads here, which are not the client's.)
      const leaks = ['TCPWRAP', 'TCPWrap', 'TCPConnectWrap', 'TLSWrap', 'Timeout', 'Immediate'];
      console.log(process.getActiveResourcesInfo().filter((r) => leaks.includes(r)).join(',') || 'none');
      console.log([...live.values()].join(',') || 'none');
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--conditions=@clonepool/source', '--input-type=module', '-e', script, server.address],
      { timeout: 15_000, cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    expect(stdout.trim().split('\n')).toEqual(['none', 'none']);
  });

  it('await using closes the client', async () => {
    const server = await ownServer();
    let outer: Client;
    {
      await using client = new Client(server.address);
      outer = client;
      await client.set('x', 1);
    }
    expect(outer.isClosed).toBe(true);
  });
});
