// One CLIENT span per memcached command, checked against the database conventions
// with the real SDK and a real memcached: names, attributes, batches, keys (opt-in
// only), errors, and the server each command went to.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { client, hostPort, ownServer, sharedServer, telemetry } from './support.ts';

/** A span's name and attributes, as one object to compare. */
const summary = (span: ReadableSpan) => ({ name: span.name, ...span.attributes });

describe('command spans', () => {
  it('makes a CLIENT span per command, named "{operation} {server.address}:{server.port}"', async () => {
    const { spans } = telemetry();
    const mc = client(sharedServer(), { keyPrefix: 'spans:' });
    const { host, port } = hostPort(sharedServer());
    await mc.set('a', 1);
    await mc.add('b', 2);
    await mc.replace('a', 3);
    await mc.append('s', 'x');
    await mc.prepend('s', 'x');
    await mc.get('a');
    const item = await mc.gets<number>('a');
    await mc.cas('a', 4, item!.cas);
    await mc.gat('a', 60);
    await mc.gats('a', 60);
    await mc.touch('a', 60);
    await mc.set('n', 1);
    await mc.incr('n');
    await mc.decr('n', 1n);
    await mc.delete('b');
    await mc.version();
    await mc.stats();
    await mc.verbosity(0);
    const operations = [
      ...['set', 'add', 'replace', 'append', 'prepend', 'get', 'gets', 'cas', 'gat', 'gats', 'touch', 'set'],
      ...['incr', 'decr', 'delete', 'version', 'stats', 'verbosity'],
    ];
    expect(spans().map(summary)).toEqual(
      operations.map((operation) => ({
        name: `${operation} ${host}:${port}`,
        'db.system.name': 'memcached',
        'db.operation.name': operation,
        'server.address': host,
        'server.port': port,
      })),
    );
    for (const span of spans()) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.events).toEqual([]);
      expect(span.instrumentationScope.name).toBe('@clonepool/opentelemetry');
    }
  });

  it('counts the keys of a multi-key get, and the commands of a batch as the conventions do', async () => {
    const { spans } = telemetry();
    const mc = client();
    const { host, port } = hostPort(sharedServer());
    await mc.getMulti(['m1', 'm2', 'm3']);
    await mc.setMulti({ m1: 1, m2: 2, m3: 3 });
    await mc.setMulti(new Map([['m1', 1]]));
    await mc.setMulti([]);
    await mc.deleteMulti(['m1', 'm2']);
    await mc.deleteMulti(['m3']);
    const server = { 'server.address': host, 'server.port': port };
    expect(spans().map(summary)).toEqual([
      // One `get` naming three keys: not a batch (the conventions' MGET).
      {
        name: `get ${host}:${port}`,
        'db.system.name': 'memcached',
        'db.operation.name': 'get',
        'memcached.key_count': 3,
        ...server,
      },
      {
        name: `BATCH set ${host}:${port}`,
        'db.system.name': 'memcached',
        'db.operation.name': 'BATCH set',
        'db.operation.batch.size': 3,
        'memcached.key_count': 3,
        ...server,
      },
      // A batch of one is that one command.
      {
        name: `set ${host}:${port}`,
        'db.system.name': 'memcached',
        'db.operation.name': 'set',
        'memcached.key_count': 1,
        ...server,
      },
      // An empty batch is a batch of size 0, sent nowhere.
      {
        name: 'BATCH set',
        'db.system.name': 'memcached',
        'db.operation.name': 'BATCH set',
        'db.operation.batch.size': 0,
        'memcached.key_count': 0,
      },
      {
        name: `BATCH delete ${host}:${port}`,
        'db.system.name': 'memcached',
        'db.operation.name': 'BATCH delete',
        'db.operation.batch.size': 2,
        'memcached.key_count': 2,
        ...server,
      },
      {
        name: `delete ${host}:${port}`,
        'db.system.name': 'memcached',
        'db.operation.name': 'delete',
        'memcached.key_count': 1,
        ...server,
      },
    ]);
  });

  it('records no key anywhere unless recordKeys is on, then the commands with their keys and ? for values', async () => {
    const { instrumentation, spans, resetSpans } = telemetry();
    const mc = client(sharedServer(), { keyPrefix: 'secret:' });
    const run = async () => {
      await mc.set('user:ada@example.com', 'v');
      await mc.get('user:ada@example.com');
      await mc.gat(new TextEncoder().encode('bytes:é'), 60);
      await mc.getMulti(['k1', 'k2']);
      await mc.setMulti({ k1: 1, k2: 2 });
      await mc.deleteMulti(['k1', 'k2']);
      await mc.incr('counter').catch(() => {});
      await mc.flushAll(60);
    };
    await run();
    const everything = JSON.stringify(spans().map((span) => [span.name, span.attributes, span.events]));
    for (const key of ['ada', 'bytes', 'k1', 'counter', 'secret']) expect(everything).not.toContain(key);
    expect(spans().every((span) => !('db.query.text' in span.attributes))).toBe(true);

    resetSpans();
    instrumentation.setConfig({ recordKeys: true });
    await run();
    expect(spans().map((span) => span.attributes['db.query.text'])).toEqual([
      'set user:ada@example.com ?',
      'get user:ada@example.com',
      'gat ? bytes:é',
      'get k1 k2',
      'set k1 ?; set k2 ?',
      'delete k1; delete k2',
      'incr counter ?',
      // A server-wide command names no key.
      undefined,
    ]);
    instrumentation.setConfig({});
    resetSpans();
    await mc.get('user:ada@example.com');
    expect(spans()[0]?.attributes['db.query.text']).toBeUndefined();
  });

  it('records a failure: status ERROR with the message, error.type, the exception, and the server when routed', async () => {
    const { spans } = telemetry();
    const mc = client();
    const { host, port } = hostPort(sharedServer());
    await mc.set('text', 'abc');
    await expect(mc.incr('text')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CLIENT' });
    await expect(mc.get('bad key')).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    const refused = client('127.0.0.1:9', { retryTimeoutMs: 0 });
    const refusal = await refused.get('k').catch((error: Error) => error);
    const small = await ownServer({ args: ['-I', '1k', '-o', 'slab_chunk_max=512'] });
    const tooLarge = client(small.address);
    await expect(tooLarge.set('big', 'x'.repeat(2_000))).rejects.toMatchObject({ code: 'ERR_MEMCACHED_SERVER' });
    const [, clientError, badKey, connection, serverError] = spans();
    expect(summary(clientError!)).toEqual({
      name: `incr ${host}:${port}`,
      'db.system.name': 'memcached',
      'db.operation.name': 'incr',
      'server.address': host,
      'server.port': port,
      'error.type': 'CLIENT_ERROR',
      'db.response.status_code': 'CLIENT_ERROR',
    });
    // Refused before it was routed: no server.
    expect(summary(badKey!)).toEqual({
      name: 'get',
      'db.system.name': 'memcached',
      'db.operation.name': 'get',
      'error.type': 'ERR_INVALID_KEY',
    });
    expect(summary(connection!)).toMatchObject({
      name: 'get 127.0.0.1:9',
      'server.address': '127.0.0.1',
      'server.port': 9,
      'error.type': 'ERR_MEMCACHED_CONNECTION',
    });
    expect(summary(serverError!)).toMatchObject({
      'error.type': 'SERVER_ERROR',
      'db.response.status_code': 'SERVER_ERROR',
      'server.port': hostPort(small.address).port,
    });
    for (const span of [clientError!, badKey!, connection!, serverError!]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.events.map((event) => event.name)).toEqual(['exception']);
      expect(span.status.message).toBe(span.events[0]!.attributes!['exception.message']);
    }
    expect(connection!.status.message).toBe((refusal as Error).message);
    expect(connection!.events[0]!.attributes).toMatchObject({
      'exception.type': 'ERR_MEMCACHED_CONNECTION',
      'exception.message': (refusal as Error).message,
    });
  });

  it('names the server of a key on a two-server client, no server for a command spread over both, and socket paths', async () => {
    const { spans, resetSpans } = telemetry();
    const other = await ownServer();
    const both = [sharedServer(), other.address];
    const ring = client(both, { distribution: 'ketama' });
    const keys = Array.from({ length: 30 }, (_, i) => `ring:${i}`);
    await ring.getMulti(keys);
    await ring.version();
    for (const key of keys) await ring.get(key);
    const [spread, everyServer, ...gets] = spans();
    expect(spread!.name).toBe('get');
    expect(spread!.attributes['server.address']).toBeUndefined();
    expect(everyServer!.name).toBe('version');
    const ports = new Set(gets.map((span) => span.attributes['server.port']));
    expect(ports).toEqual(new Set(both.map((address) => hostPort(address).port)));
    for (const span of gets) expect(span.name).toBe(`get 127.0.0.1:${span.attributes['server.port']}`);

    resetSpans();
    const socket = await ownServer({ unixSocket: true });
    await client(socket.address).get('k');
    expect(summary(spans()[0]!)).toEqual({
      name: `get ${socket.address}`,
      'db.system.name': 'memcached',
      'db.operation.name': 'get',
      'server.address': socket.address,
    });
  });
});
