import { describe, expect, expectTypeOf, it } from 'vitest';
import { Client, CounterTooLargeError } from '../src/index.ts';
import { fakeServer, ownServer, rawTtl, sharedClient, track } from './support.ts';

describe('storage commands', () => {
  const client = sharedClient();

  it('set stores and get returns it; a miss is undefined', async () => {
    expect(await client.set('a', 'x')).toBe(true);
    expect(await client.get('a')).toBe('x');
    expect(await client.get('never-set')).toBeUndefined();
  });

  it('add stores a new key and resolves false for an existing one', async () => {
    expect(await client.add('add', 1)).toBe(true);
    expect(await client.add('add', 2)).toBe(false);
    expect(await client.get('add')).toBe(1);
  });

  it('replace resolves false for a missing key and replaces an existing one', async () => {
    expect(await client.replace('rep', 1)).toBe(false);
    expect(await client.get('rep')).toBeUndefined();
    await client.set('rep', 1);
    expect(await client.replace('rep', 2)).toBe(true);
    expect(await client.get('rep')).toBe(2);
  });

  it('append and prepend add to existing data and resolve false for a missing key', async () => {
    await client.set('ap', 'b');
    expect(await client.append('ap', 'c')).toBe(true);
    expect(await client.prepend('ap', 'a')).toBe(true);
    expect(await client.get('ap')).toBe('abc');
    expect(await client.append('ap-missing', 'x')).toBe(false);
    expect(await client.prepend('ap-missing', 'x')).toBe(false);
  });

  it('cas stores when the token matches, and resolves false when the item changed or is gone', async () => {
    await client.set('cas', 'v1');
    const first = await client.gets('cas');
    expect(first?.value).toBe('v1');
    expect(typeof first?.cas).toBe('bigint');
    expect(await client.cas('cas', 'v2', first!.cas)).toBe(true);
    expect(await client.cas('cas', 'v3', first!.cas)).toBe(false); // EXISTS
    expect(await client.get('cas')).toBe('v2');
    await client.delete('cas');
    expect(await client.cas('cas', 'v4', first!.cas)).toBe(false); // NOT_FOUND
  });

  it('gets resolves undefined on a miss', async () => {
    expect(await client.gets('gets-miss')).toBeUndefined();
  });

  it('a ttl makes the item expire', async () => {
    await client.set('ttl', 1, { ttl: 1 });
    expect(await client.get('ttl')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await client.get('ttl')).toBeUndefined();
  });

  it('noreply resolves true at once and the write happens', async () => {
    expect(await client.set('nr', 'quiet', { noreply: true })).toBe(true);
    expect(await client.add('nr', 'ignored', { noreply: true })).toBe(true);
    expect(await client.get('nr')).toBe('quiet');
  });
});

describe('delete, incr, decr, touch, gat', () => {
  const client = sharedClient();

  it('delete resolves true, then false for a missing key', async () => {
    await client.set('d', 1);
    expect(await client.delete('d')).toBe(true);
    expect(await client.delete('d')).toBe(false);
  });

  it('incr and decr resolve a number, and undefined for a missing key', async () => {
    await client.set('n', 10);
    expect(await client.incr('n')).toBe(11);
    expect(await client.incr('n', 5n)).toBe(16);
    expect(await client.decr('n', 1)).toBe(15);
    expect(JSON.stringify({ visits: await client.incr('n') })).toBe('{"visits":16}');
    await client.set('n', 5);
    expect(await client.decr('n', 100)).toBe(0);
    expect(await client.get('n')).toBe(0);
    expect(await client.incr('n-missing')).toBeUndefined();
    expect(await client.decr('n-missing')).toBeUndefined();
  });

  it('with { bigint: true } they count in 64 bits as bigint', async () => {
    await client.set('n', 10);
    expect(await client.incr('n', 1, { bigint: true })).toBe(11n);
    expect(await client.incr('n', 2n ** 53n, { bigint: true })).toBe(2n ** 53n + 11n);
    expect(await client.decr('n', 1, { bigint: true })).toBe(2n ** 53n + 10n);
    expect(await client.get('n')).toBe(2n ** 53n + 10n);
    expect(await client.incr('n-missing', 1, { bigint: true })).toBeUndefined();
  });

  it('a counter past 2^53-1 without { bigint: true } rejects ERR_MEMCACHED_COUNTER_UNSAFE, the exact value on the error', async () => {
    await client.set('big', Number.MAX_SAFE_INTEGER - 1);
    expect(await client.incr('big')).toBe(Number.MAX_SAFE_INTEGER);
    const error = await client.incr('big').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CounterTooLargeError);
    expect(error).toMatchObject({ code: 'ERR_MEMCACHED_COUNTER_UNSAFE', value: 2n ** 53n });
    expect((error as Error).message).toMatch(/bigint: true/);
    expect((error as Error).message).toMatch(/already/);
    // The increment happened: the server holds the new value, and the connection is in step.
    expect(await client.get('big')).toBe(2n ** 53n);
    expect(await client.decr('big', 1n)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('types the result after the bigint option', async () => {
    // A counter that does not exist: every call resolves undefined, whatever its type says.
    const plain = client.incr('types-missing');
    const number = client.decr('types-missing', 1, { bigint: false });
    const big = client.incr('types-missing', 1n, { bigint: true });
    const exact = Math.random() > 2;
    const either = client.decr('types-missing', 1, { bigint: exact });
    expectTypeOf(plain).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(number).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(big).toEqualTypeOf<Promise<bigint | undefined>>();
    expectTypeOf(either).toEqualTypeOf<Promise<number | bigint | undefined>>();
    expect(await Promise.all([plain, number, big, either])).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('incr wraps at 2^64 as memcached does', async () => {
    await client.set('wrap', 2n ** 64n - 1n);
    expect(await client.incr('wrap', 2)).toBe(1);
  });

  it('incr of a non-numeric value rejects with ERR_MEMCACHED_CLIENT and the connection stays in step', async () => {
    await client.set('text', 'abc');
    await expect(client.incr('text')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CLIENT' });
    expect(await client.get('text')).toBe('abc');
  });

  it('touch resolves true for an existing key and false for a missing one', async () => {
    await client.set('t', 1);
    expect(await client.touch('t', 100)).toBe(true);
    expect(await client.touch('t-missing', 100)).toBe(false);
  });

  it('gat and gats return the value and reset the ttl; a miss is undefined', async () => {
    await client.set('gat', 'v', { ttl: 1 });
    expect(await client.gat('gat', 100)).toBe('v');
    const item = await client.gats('gat', 100);
    expect(item?.value).toBe('v');
    expect(typeof item?.cas).toBe('bigint');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await client.get('gat')).toBe('v');
    expect(await client.gat('gat-missing', 1)).toBeUndefined();
    expect(await client.gats('gat-missing', 1)).toBeUndefined();
  });
});

describe('TTLs over 30 days', () => {
  // memcached reads an exptime above 30 days as a Unix time: sent as it is, 31 days is January 1970.
  const days31 = 31 * 24 * 60 * 60;
  /** The item is there, and memcached says it has about 31 days left. */
  async function expect31DaysLeft(address: string, client: Client, key: string): Promise<void> {
    expect(await client.get(key)).toBe('long');
    const left = await rawTtl(address, key);
    expect(left).toBeGreaterThan(days31 - 10);
    // memcached's clock moves once a second and lags the wall clock by up to one tick, so an
    // absolute exptime can read as one second more than the duration it was made from.
    expect(left).toBeLessThanOrEqual(days31 + 1);
  }

  it('are durations for set, add, replace, cas, setMulti and noreply writes: the item stays', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    const ttl = { ttl: days31 };
    expect(await client.set('set', 'long', ttl)).toBe(true);
    expect(await client.add('add', 'long', ttl)).toBe(true);
    await client.set('replace', 'short');
    expect(await client.replace('replace', 'long', ttl)).toBe(true);
    await client.set('cas', 'short');
    expect(await client.cas('cas', 'long', (await client.gets('cas'))!.cas, ttl)).toBe(true);
    expect(await client.setMulti({ multi: 'long' }, ttl)).toEqual([]);
    expect(await client.set('noreply', 'long', { ...ttl, noreply: true })).toBe(true);
    for (const key of ['set', 'add', 'replace', 'cas', 'multi', 'noreply']) {
      await expect31DaysLeft(server.address, client, key);
    }
  });

  it('are durations for touch, gat and gats: the item stays', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    await client.setMulti({ touch: 'long', gat: 'long', gats: 'long' }, { ttl: 60 });
    expect(await client.touch('touch', days31)).toBe(true);
    expect(await client.gat('gat', days31)).toBe('long');
    expect((await client.gats('gats', days31))?.value).toBe('long');
    for (const key of ['touch', 'gat', 'gats']) await expect31DaysLeft(server.address, client, key);
  });

  it('is a delay for flushAll, sent as a Unix time as memcached reads it', async () => {
    // memcached ignores a flush_all "time" in 1970 instead of flushing in 31 days, and reports
    // neither: only the line on the wire shows it. A stand-in records it.
    const lines: string[] = [];
    const { address } = await fakeServer((line, socket) => {
      lines.push(line.trim());
      socket.write('OK\r\n');
    });
    const client = track(new Client(address));
    const now = Math.floor(Date.now() / 1000);
    await client.flushAll(days31);
    await client.flushAll(60);
    expect(lines).toHaveLength(2);
    const at = Number(lines[0]!.split(' ')[1]);
    expect(at - now).toBeGreaterThanOrEqual(days31);
    expect(at - now).toBeLessThanOrEqual(days31 + 5);
    expect(lines[1]).toBe('flush_all 60');
  });

  it('up to 30 days are sent as they are', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    const days30 = 30 * 24 * 60 * 60;
    await client.set('thirty', 'long', { ttl: days30 });
    const left = await rawTtl(server.address, 'thirty');
    expect(left).toBeGreaterThan(days30 - 10);
    expect(left).toBeLessThanOrEqual(days30);
  });
});

describe('multi-key commands', () => {
  const client = sharedClient();

  it('getMulti returns a Map of the hits only, keyed by the keys as given', async () => {
    await client.setMulti({ m1: 1, m2: 'two' });
    const bytesKey = Buffer.from('m1');
    const hits = await client.getMulti(['m1', 'm2', 'm3', 'm1', bytesKey]);
    expect([...hits.entries()]).toEqual([
      ['m1', 1],
      ['m2', 'two'],
      [bytesKey, 1],
    ]);
  });

  it('getMulti of no keys resolves an empty Map', async () => {
    expect((await client.getMulti([])).size).toBe(0);
  });

  it('getMulti of 1000 keys splits the line and finds every one', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `many:${i}`);
    await client.setMulti(keys.map((key, i) => [key, i] as const));
    const hits = await client.getMulti([...keys, 'many:none']);
    expect(hits.size).toBe(1000);
    expect(keys.every((key, i) => hits.get(key) === i)).toBe(true);
  });

  it('setMulti resolves the keys that were not stored', async () => {
    expect(await client.setMulti(new Map([['s1', 1]]))).toEqual([]);
  });

  it('deleteMulti resolves true only when every key existed', async () => {
    await client.setMulti({ x1: 1, x2: 2 });
    expect(await client.deleteMulti(['x1', 'x2'])).toBe(true);
    await client.set('x1', 1);
    expect(await client.deleteMulti(['x1', 'x2'])).toBe(false);
    expect(await client.get('x1')).toBeUndefined();
  });
});

describe('server-wide commands', () => {
  it('stats, stats sub-commands, version and flushAll with and without a delay', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    const stats = await client.stats();
    expect([...stats.keys()]).toEqual([server.address]);
    expect(stats.get(server.address)?.pid).toBe(String(server.pid));
    const settings = (await client.stats('settings')).get(server.address)!;
    expect(settings.maxbytes).toBe(String(64 * 1024 * 1024));
    await client.set('k', 1);
    const items = (await client.stats('items')).get(server.address)!;
    expect(Object.keys(items).some((name) => name.startsWith('items:'))).toBe(true);
    expect((await client.version()).get(server.address)).toBe(stats.get(server.address)?.version);
    await client.flushAll(100);
    expect(await client.get('k')).toBe(1); // a delayed flush has not happened yet
    await client.flushAll();
    expect(await client.get('k')).toBeUndefined();
    await expect(client.stats('bogus')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CLIENT' });
    expect(await client.get('k')).toBeUndefined();
  });

  it('verbosity sets the log level and refuses levels memcached has not', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    await client.verbosity(1);
    await client.verbosity(0);
    await expect(client.verbosity(3)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(await client.set('after', 1)).toBe(true);
  });

  it('works over a UNIX socket', async () => {
    const server = await ownServer({ unixSocket: true });
    const client = track(new Client(server.address));
    await client.set('unix', 'yes');
    expect(await client.get('unix')).toBe('yes');
    expect([...(await client.version()).keys()]).toEqual([server.address]);
  });
});
