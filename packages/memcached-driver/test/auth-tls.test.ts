import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createDistribution } from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import { fakeServer, ownServer, sleep, track } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'clonepool-mc-auth-'));
chmodSync(dir, 0o755); // memcached runs as nobody and must read the files
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ASCII authentication (memcached -Y)', () => {
  let address = '';
  beforeAll(async () => {
    const authFile = join(dir, 'auth');
    writeFileSync(authFile, 'alice:s3cret\nbob:hunter2\n', { mode: 0o644 });
    address = (await ownServer({ args: ['-Y', authFile] })).address;
  });

  it('authenticates first on each connection, then commands work', async () => {
    const client = track(new Client(address, { username: 'alice', password: 's3cret' }));
    const [stored, value] = await Promise.all([client.set('k', 'v'), client.get('k')]);
    expect(stored).toBe(true);
    expect(value).toBe('v');
    const clone = track(client.clone());
    expect(await clone.get('k')).toBe('v');
  });

  it('writes noreply commands queued before authenticating before it closes: the values land', async () => {
    const writer = new Client(address, { username: 'alice', password: 's3cret' });
    expect(await writer.set('quiet', 'landed', { noreply: true })).toBe(true);
    expect(await writer.setMulti({ 'quiet:1': 1, 'quiet:2': 2 }, { noreply: true })).toEqual([]);
    await writer.close();
    const reader = track(new Client(address, { username: 'alice', password: 's3cret' }));
    expect(await reader.getMulti(['quiet', 'quiet:1', 'quiet:2'])).toEqual(
      new Map<string, unknown>([
        ['quiet', 'landed'],
        ['quiet:1', 1],
        ['quiet:2', 2],
      ]),
    );
  });

  it('a wrong password rejects the waiting operations with ERR_MEMCACHED_AUTH', async () => {
    const client = track(new Client(address, { username: 'alice', password: 'wrong' }));
    await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_AUTH' });
  });

  it('getOrSet and invalidate work on an authenticated connection', async () => {
    const client = track(new Client(address, { username: 'alice', password: 's3cret', keyPrefix: 'auth-gos:' }));
    await client.delete('k');
    expect(await client.getOrSet('k', () => 'computed', { ttl: 60 })).toBe('computed');
    expect(await client.invalidate('k')).toBe(true);
    expect(await client.getOrSet('k', ({ stale }) => `after ${stale}`, { ttl: 60 })).toBe('after computed');
  });

  it('no credentials against a server that wants them rejects with ERR_MEMCACHED_AUTH', async () => {
    const client = track(new Client(address));
    await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_AUTH' });
  });

  it('keeps the password out of the error of a failed authentication', async () => {
    const password = 'not-alices-s3cret';
    const client = track(new Client(address, { username: 'alice', password }));
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    const error = await client.get('k').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_AUTH' });
    expect(errors).toHaveLength(1);
    const { inspect } = await import('node:util');
    for (const shown of [error, errors[0]]) {
      const text = `${(shown as Error).message}\n${(shown as Error).stack}\n${inspect(shown, { showHidden: true, depth: 10 })}\n${JSON.stringify(shown)}`;
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(password).toString('hex').slice(0, 12));
    }
  });

  it('keeps the password out of util.inspect and JSON', async () => {
    const { inspect } = await import('node:util');
    const client = track(new Client(address, { username: 'bob', password: 'hunter2' }));
    expect(inspect(client, { depth: 10 })).not.toContain('hunter2');
    expect(JSON.stringify(client)).not.toContain('hunter2');
  });
});

const tlsBuilt = (() => {
  try {
    return execFileSync(process.env.MEMCACHED_BIN ?? 'memcached', ['-h'])
      .toString()
      .includes('--enable-ssl');
  } catch {
    return false;
  }
})();

describe.skipIf(!tlsBuilt && !process.env.CI)('TLS (memcached -Z)', () => {
  let address = '';
  let ca: Buffer;
  beforeAll(async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    chmodSync(key, 0o644);
    ca = readFileSync(cert);
    address = (await ownServer({ args: ['-Z', '-o', `ssl_chain_cert=${cert},ssl_key=${key}`] })).address;
  });

  it('connects with TLS, verifying the server certificate', async () => {
    const client = track(new Client(address, { tls: { ca } }));
    expect(await client.set('tls', 'secret')).toBe(true);
    expect(await client.get('tls')).toBe('secret');
    expect((await client.getMulti(['tls'])).get('tls')).toBe('secret');
  });

  it('writes noreply commands queued during the handshake before it closes: the values land', async () => {
    const writer = new Client(address, { tls: { ca } });
    expect(await writer.set('tls-quiet', 'landed', { noreply: true })).toBe(true);
    await writer.close();
    const reader = track(new Client(address, { tls: { ca } }));
    expect(await reader.get('tls-quiet')).toBe('landed');
  });

  it('rejects a server whose certificate it cannot verify', async () => {
    const client = track(new Client(address, { tls: true, retryTimeoutMs: 0 }));
    await expect(client.get('tls')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
  });

  it('getOrSet and invalidate work over TLS', async () => {
    const client = track(new Client(address, { tls: { ca } }));
    const clone = track(client.clone());
    const calls = [client, client, clone].map((c) => c.getOrSet('tls-gos', () => 'over tls', { ttl: 60 }));
    expect(await Promise.all(calls)).toEqual(['over tls', 'over tls', 'over tls']);
    expect(await client.invalidate('tls-gos', { grace: 10 })).toBe(true);
    expect(await clone.getOrSet('tls-gos', ({ stale }) => `${stale}, again`, { ttl: 60 })).toBe('over tls, again');
  });

  it('a plain-text client gets no valid reply from a TLS port', async () => {
    const client = track(new Client(address, { timeoutMs: 500 }));
    await expect(client.get('tls')).rejects.toHaveProperty('code');
  });
});

describe('a connection lost before the auth probe is answered', () => {
  /** A server that accepts, reads the client's `version` probe and drops the connection unanswered. */
  const dropsAtProbe = () =>
    fakeServer((line, socket) => {
      if (line.startsWith('version')) socket.destroy();
    });

  it('is one failure: the operation rejects, and error is emitted once', async () => {
    const { address } = await dropsAtProbe();
    const client = track(new Client(address, { username: 'alice', password: 's3cret' }));
    const errors: string[] = [];
    client.on('error', (error) => errors.push((error as Error & { code: string }).code));
    await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    await sleep(20);
    expect(errors).toEqual(['ERR_MEMCACHED_CONNECTION']);
  });

  it('counts once toward removeFailed: with removeFailed 2, one lost connection does not eject', async () => {
    const { address } = await dropsAtProbe();
    const healthy = await ownServer();
    const servers = [address, healthy.address];
    const placement = createDistribution(
      servers.map((server) => parseServer(server)),
      'ketama',
    );
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => placement.serverFor(Buffer.from(k)) === 0)!;
    const client = track(
      new Client(servers, { distribution: 'ketama', removeFailed: 2, username: 'alice', password: 's3cret' }),
    );
    const ejected: string[] = [];
    client.on('eject', (server) => ejected.push(server));
    client.on('error', () => {});
    await expect(client.get(key)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', server: address });
    await sleep(20);
    expect(ejected).toEqual([]);
    // A second lost connection is the second failure in a row.
    await expect(client.get(key)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', server: address });
    await sleep(20);
    expect(ejected).toEqual([address]);
  });
});

describe('credentials against a server without -Y', () => {
  it('are never sent: the client asks first, and a plain server keeps no "auth" item', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address, { username: 'alice', password: 'leak-me-not' }));
    expect(await client.set('k', 'v')).toBe(true);
    expect(await client.get('k')).toBe('v');
    const plain = track(new Client(server.address));
    expect(await plain.get('auth')).toBeUndefined();
    expect((await plain.stats()).get(server.address)!.curr_items).toBe('1');
  });
});
