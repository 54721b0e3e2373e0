import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Client, createDistribution, type DistributionOptions } from '../src/index.ts';
import { parseOptions } from '../src/options.ts';
import { parseServer, parseServers } from '../src/servers.ts';

describe('server specs, as pylibmc spells them', () => {
  it.each([
    ['localhost', { host: 'localhost', port: 11211, weight: 1, path: undefined, label: 'localhost:11211' }],
    ['10.0.0.1:11212', { host: '10.0.0.1', port: 11212, weight: 1, label: '10.0.0.1:11212' }],
    ['cache-1.example.com:11211:3', { host: 'cache-1.example.com', port: 11211, weight: 3 }],
    ['[::1]', { host: '::1', port: 11211, label: '[::1]:11211' }],
    ['[::1]:11300', { host: '::1', port: 11300, label: '[::1]:11300' }],
    ['[2001:db8::1]:11300:2', { host: '2001:db8::1', port: 11300, weight: 2 }],
    ['/var/run/memcached.sock', { host: '/var/run/memcached.sock', port: 0, path: '/var/run/memcached.sock' }],
    [' localhost:1 ', { host: 'localhost', port: 1 }],
  ])('parses %j', (spec, expected) => {
    expect(parseServer(spec)).toMatchObject(expected);
  });

  it.each([
    '',
    'host:',
    'host:port',
    'host:0',
    'host:65536',
    'host:11211:0',
    'host:11211:2:9',
    '::1',
    '[::1',
    '[::1]x',
    '[nothost]:1',
    'ho st',
    'host:-1',
    'host:1.5',
  ])('refuses %j with ERR_INVALID_SERVER', (spec) => {
    expect(() => new Client(spec)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SERVER' }));
  });

  it('reads memcached://localhost:11211 as localhost:11211, never as port "//localhost"', () => {
    expect(parseServer('memcached://localhost:11211')).toMatchObject({ host: 'localhost', port: 11211 });
  });

  it.each([
    ['memcached://localhost:11211', 'localhost:11211'],
    ['memcache://cache-1.internal:11300', 'cache-1.internal:11300'],
    ['tcp://10.0.0.1:11212', '10.0.0.1:11212'],
    ['memcached://cache', 'cache:11211'],
    ['memcached://localhost:11211/', 'localhost:11211'],
    ['MEMCACHED://localhost:11211', 'localhost:11211'],
    ['memcached://[::1]:11300', '[::1]:11300'],
    ['tcp://[2001:db8::1]/', '[2001:db8::1]:11211'],
    ['memcached://host:11211:3', 'host:11211'],
    ['unix:///run/memcached.sock', '/run/memcached.sock'],
  ])('reads the URL %j as %j', (spec, label) => {
    expect(parseServer(spec).label).toBe(label);
  });

  it.each([
    ['memcached://user:secret@localhost:11211', /credentials.*username.*password/],
    ['memcached://localhost:11211/db', /path .*"\/db"/],
    ['memcached://localhost:11211?timeout=5', /query string/],
    ['memcached://localhost:11211#x', /fragment/],
    ['redis://localhost:6379', /"redis:" .*memcached:\/\/host:port/],
    ['udp://localhost:11211', /"udp:"/],
    ['memcached://', /no host/],
    ['memcached:///run/memcached.sock', /unix:\/\/\/run\/memcached\.sock/],
    ['unix://relative.sock', /absolute path/],
  ])('refuses %j with ERR_INVALID_SERVER, saying what to write', (spec, message) => {
    let error: unknown;
    try {
      parseServer(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_INVALID_SERVER' });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('secret');
  });

  it('takes a list as an array or a comma-separated string', () => {
    expect(parseServers('a:1, b:2').map((s) => s.label)).toEqual(['a:1', 'b:2']);
    expect(parseServers(['a', 'b:3']).map((s) => s.label)).toEqual(['a:11211', 'b:3']);
    expect(() => parseServers([])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SERVER' }));
    expect(() => new Client(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SERVER' }));
  });
});

describe('options', () => {
  it('rejects unknown names, as pylibmc rejects unknown behaviors', () => {
    expect(() => new Client('localhost', { timeout: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('timeout') }),
    );
    expect(() => new Client('localhost', { timeout: 5 } as never)).toThrow(
      /^Option timeout is not one new Client\(\) knows; its options are connectTimeoutMs, timeoutMs, .*, password, gutter, discovery\.$/,
    );
  });

  it.each([
    ['connectTimeoutMs', 0],
    ['timeoutMs', -1],
    ['timeoutMs', 1.5],
    ['timeoutMs', '100'],
    ['tcpNoDelay', 'yes'],
    ['keepAlive', 1],
    ['keyPrefix', 'has space'],
    ['keyPrefix', 'x'.repeat(250)],
    ['keyPrefix', 3],
    ['compressionThreshold', -1],
    ['compressionLevel', 10],
    ['maxValueBytes', -1],
    ['retryTimeoutMs', Number.NaN],
    ['distribution', 'consistent'],
    ['tls', 'yes'],
    ['username', 'alice'],
    ['password', 'secret'],
  ])('rejects %s = %j with ERR_INVALID_ARG_VALUE', (name, value) => {
    expect(() => new Client('localhost', { [name]: value })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  describe('never prints the password', () => {
    const password = 'hunter2-s3cret';
    /** The password as text, as hex (util.inspect of a Buffer) and as JSON's list of bytes. */
    const expectHidden = (text: string | undefined, secret: string = password) => {
      const bytes = [...Buffer.from(secret)];
      for (const form of [
        secret,
        bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(' '),
        Buffer.from(secret).toString('hex'),
        bytes.join(','),
      ]) {
        expect(text ?? '').not.toContain(form);
      }
    };

    it.each([
      ['without a username', { password }, password],
      ['holding a line break', { username: 'bob', password: `${password}\r\n` }, password],
      ['with a bad username', { username: 'b o b', password }, password],
      ['with an unknown option', { username: 'bob', password, timeout: 5 }, password],
      ['with another bad option', { username: 'bob', password, timeoutMs: -1 }, password],
      ['with a bad tls option', { username: 'bob', password, tls: 'yes' }, password],
      ['as a number', { username: 'bob', password: 987654321 }, '987654321'],
    ])('in the error of options %s: message, stack, util.inspect and JSON', (_, options, secret) => {
      let thrown: unknown;
      try {
        new Client('localhost', options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      const error = thrown as Error;
      expectHidden(error.message, secret);
      expectHidden(error.stack, secret);
      expectHidden(inspect(error, { showHidden: true, depth: Number.POSITIVE_INFINITY }), secret);
      expectHidden(JSON.stringify(error), secret);
    });

    it('in util.inspect or JSON of a client, its clone, or its parsed options', () => {
      const client = new Client('localhost', { username: 'bob', password });
      const deep = { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true } as const;
      for (const shown of [client, client.clone(), parseOptions({ username: 'bob', password })]) {
        expectHidden(inspect(shown, deep));
        expectHidden(JSON.stringify(shown));
      }
      // The parsed options still carry the credentials, for the connection to send.
      expect(parseOptions({ username: 'bob', password }).auth).toBeDefined();
    });
  });

  it('accepts every documented option', () => {
    const client = new Client('localhost', {
      connectTimeoutMs: 100,
      timeoutMs: 100,
      tcpNoDelay: false,
      keepAlive: true,
      keyPrefix: 'app:',
      compressionThreshold: 1024,
      compressionLevel: 9,
      maxValueBytes: 1000,
      retryTimeoutMs: 0,
      distribution: 'modula',
      tls: false,
      username: 'u',
      password: 'p',
    });
    expect(client.servers).toEqual(['localhost:11211']);
  });
});

describe('createDistribution', () => {
  const servers = [
    { host: 'a', port: 11211, weight: 1 },
    { host: 'b', port: 11211, weight: 1 },
  ];
  const invalid = (message: RegExp) =>
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(message) });

  it('refuses unknown option names, listing the known ones', () => {
    expect(() => createDistribution(servers, 'ketama', { hashes: 'md5' } as DistributionOptions)).toThrow(
      invalid(/^Option hashes is not one createDistribution\(\) knows; its options are hash, ejected\.$/),
    );
  });

  it('refuses bad servers, kinds and options with the typed error', () => {
    expect(() => createDistribution([], 'modula')).toThrow(invalid(/^Argument servers must be/));
    expect(() => createDistribution([{ host: 'a', port: 70000, weight: 1 }], 'modula')).toThrow(
      invalid(/^Argument servers\[0\]\.port must be/),
    );
    expect(() => createDistribution(servers, 'consistent' as never)).toThrow(invalid(/^Argument distribution must be/));
    expect(() => createDistribution(servers, 'ketama', { hash: 'sha1' as never })).toThrow(
      invalid(/^Option hash must be/),
    );
    expect(() => createDistribution(servers, 'ketama', { ejected: new Set([0, 1]) })).toThrow(
      invalid(/^Option ejected must be a set that leaves at least one server/),
    );
  });
});
