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

/** The error `promise` rejects with (it must reject). */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    (value) => {
      throw new Error(`resolved ${String(value)}`);
    },
    (error: Error) => error,
  );
}

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

  it('rejects a server whose certificate it cannot verify, saying so and what to do', async () => {
    const client = track(new Client(address, { tls: true, retryTimeoutMs: 0 }));
    const error = await failure(client.get('tls'));
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } });
    expect(error.message).toMatch(/certificate/);
    expect(error.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(error.message).toContain('tls: { ca }');
    expect(error.message).not.toMatch(/server is up/);
  });

  it('rejects a certificate that does not name the host, saying so and what to do', async () => {
    const client = track(new Client(address, { tls: { ca, servername: 'wrong.example' }, retryTimeoutMs: 0 }));
    const error = await failure(client.get('tls'));
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' } });
    expect(error.message).toMatch(/certificate/);
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).toContain('servername');
  });

  it('rejects an expired certificate, saying so', async () => {
    const cert = join(dir, 'expired-cert.pem');
    const key = join(dir, 'expired-key.pem');
    const request = join(dir, 'expired.csr');
    const ext = join(dir, 'expired.ext');
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    execFileSync(
      'openssl',
      ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', key, '-out', request],
      { stdio: 'ignore' },
    );
    // Valid until a day before it was made (OpenSSL 3.0 has no -not_after): expired from the start.
    execFileSync(
      'openssl',
      ['x509', '-req', '-in', request, '-signkey', key, '-days', '-1', '-extfile', ext, '-out', cert],
      { stdio: 'ignore' },
    );
    chmodSync(key, 0o644);
    const expired = await ownServer({ args: ['-Z', '-o', `ssl_chain_cert=${cert},ssl_key=${key}`] });
    const client = track(new Client(expired.address, { tls: { ca: readFileSync(cert) }, retryTimeoutMs: 0 }));
    const error = await failure(client.get('tls'));
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', cause: { code: 'CERT_HAS_EXPIRED' } });
    expect(error.message).toMatch(/certificate has expired/);
    expect(error.message).toContain('CERT_HAS_EXPIRED');
  });

  it('a TLS client on a plain-text port is told of a TLS mismatch', async () => {
    const plain = await ownServer();
    const client = track(new Client(plain.address, { tls: { ca }, retryTimeoutMs: 0 }));
    const error = await failure(client.get('tls'));
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', cause: { code: 'ERR_SSL_WRONG_VERSION_NUMBER' } });
    expect(error.message).toContain('TLS mismatch');
    expect(error.message).toMatch(/-Z|drop the tls option/);
  });

  it('getOrSet and invalidate work over TLS', async () => {
    const client = track(new Client(address, { tls: { ca } }));
    const clone = track(client.clone());
    const calls = [client, client, clone].map((c) => c.getOrSet('tls-gos', () => 'over tls', { ttl: 60 }));
    expect(await Promise.all(calls)).toEqual(['over tls', 'over tls', 'over tls']);
    expect(await client.invalidate('tls-gos', { grace: 10 })).toBe(true);
    expect(await clone.getOrSet('tls-gos', ({ stale }) => `${stale}, again`, { ttl: 60 })).toBe('over tls, again');
  });

  it('a plain-text client on a TLS port is told of a TLS mismatch (memcached -Z resets it)', async () => {
    const client = track(new Client(address, { timeoutMs: 500 }));
    const error = await failure(client.get('tls'));
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    expect(error.message).toContain('TLS mismatch');
    expect(error.message).toContain('tls');
  });
});

describe('a plain-text client answered with TLS', () => {
  it('is told of a TLS mismatch when the first bytes are a TLS record (an alert)', async () => {
    // What a TLS server that answers garbage with an alert sends: a fatal "unexpected message".
    const { address } = await fakeServer((_, socket) =>
      socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a])),
    );
    const client = track(new Client(address, { retryTimeoutMs: 0 }));
    const error = await failure(client.get('k'));
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    expect(error.message).toContain('TLS mismatch');
  });

  it('a server that closes before answering is not called TLS when it did answer before', async () => {
    const { address } = await fakeServer((line, socket) => {
      if (line.startsWith('get first')) socket.write('END\r\n');
      else socket.destroy();
    });
    const client = track(new Client(address, { retryTimeoutMs: 0 }));
    expect(await client.get('first')).toBeUndefined();
    const error = await failure(client.get('second'));
    expect(error.message).not.toContain('TLS');
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
