// getOrSet and invalidate in one process, against real memcached servers. Separate Client
// instances (not clones) share nothing in the process, so between them memcached alone
// coordinates, as between processes; test/get-or-set-processes.test.ts has the real processes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import { warningsDuring } from '@clonepool/core/testing';
import { describe, expect, it } from 'vitest';
import {
  Client,
  type ClientOptions,
  channelNames,
  createDistribution,
  type GetOrSetMessage,
  type GetOrSetOptions,
  type RefreshContext,
} from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import { ownServer, rawGet, rawTtl, serverStats, sharedServer, sleep, track } from './support.ts';

/** A promise and its resolve, for factories that finish when a test says so. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A client of its own on the shared server, under a prefix of this test's own. */
function separateClient(prefix: string, options: ClientOptions = {}): Client {
  return track(new Client(sharedServer(), { keyPrefix: prefix, ...options }));
}

let prefixes = 0;
/** A fresh key prefix, so tests on the shared server never see each other's items. */
const fresh = () => `gos${process.pid}x${prefixes++}:`;

/** Records the get-or-set channel's events as `event key`, until `stop()`. */
function events(): { seen: string[]; errors: unknown[]; stop: () => void } {
  const seen: string[] = [];
  const errors: unknown[] = [];
  const listener = (message: unknown) => {
    const { event, key, error } = message as GetOrSetMessage;
    seen.push(`${event} ${String(key)}`);
    if (error !== undefined) errors.push(error);
  };
  subscribe(channelNames.getOrSet, listener);
  return { seen, errors, stop: () => unsubscribe(channelNames.getOrSet, listener) };
}

/** Resolves once `condition()` holds, checking every 5 ms. */
async function until(condition: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

const OPTIONS: GetOrSetOptions = { ttl: 300 };

describe('getOrSet', () => {
  it('runs the factory on a miss, stores its value with the client encodings, then serves it', async () => {
    const prefix = fresh();
    const client = separateClient(prefix);
    let runs = 0;
    const load = () => {
      runs++;
      return { name: 'Ada', langs: ['en'] };
    };
    expect(await client.getOrSet('user', load, OPTIONS)).toEqual({ name: 'Ada', langs: ['en'] });
    expect(await client.getOrSet('user', load, OPTIONS)).toEqual({ name: 'Ada', langs: ['en'] });
    expect(runs).toBe(1);
    expect(await client.get('user')).toEqual({ name: 'Ada', langs: ['en'] });
    expect(await client.getOrSet('text', () => 'héllo', OPTIONS)).toBe('héllo');
    expect(await rawGet(sharedServer(), `${prefix}text`)).toEqual({ flags: 16, length: 6 });
    expect(await rawGet(sharedServer(), `${prefix}user`)).toMatchObject({ flags: 32 });
  });

  it('stores for ttl + grace seconds; ttl 0 keeps the value for good, grace or not', async () => {
    const prefix = fresh();
    const client = separateClient(prefix);
    await client.getOrSet('timed', () => 1, { ttl: 100, grace: 20 });
    expect(await rawTtl(sharedServer(), `${prefix}timed`)).toBeGreaterThanOrEqual(119);
    await client.getOrSet('forever', () => 1, { ttl: 0, grace: 20 });
    expect(await rawTtl(sharedServer(), `${prefix}forever`)).toBe(-1);
    // Above 30 days memcached reads a TTL as a Unix time: sent as one, the item lives as long as asked.
    await client.getOrSet('long', () => 1, { ttl: 40 * 24 * 3600, grace: 60 });
    expect(await rawTtl(sharedServer(), `${prefix}long`)).toBeGreaterThan(40 * 24 * 3600);
  });

  it('shares one request and one factory run among concurrent calls of a client and its clones', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address, { keyPrefix: 'share:' }));
    const clone = track(client.clone());
    const before = Number((await serverStats(server.address)).cmd_get);
    let runs = 0;
    const load = async () => {
      runs++;
      await sleep(20);
      return 'once';
    };
    const calls = [
      ...Array.from({ length: 20 }, () => client.getOrSet('hot', load, OPTIONS)),
      ...Array.from({ length: 5 }, () => clone.getOrSet('hot', load, OPTIONS)),
    ];
    expect(new Set(await Promise.all(calls))).toEqual(new Set(['once']));
    expect(runs).toBe(1);
    // One mg for all 25 calls (stats itself counts no get).
    expect(Number((await serverStats(server.address)).cmd_get) - before).toBe(1);
    // Hits are shared too: 10 concurrent calls, one more request.
    await Promise.all(Array.from({ length: 10 }, () => clone.getOrSet('hot', load, OPTIONS)));
    expect(Number((await serverStats(server.address)).cmd_get) - before).toBe(2);
  });

  it('lets one of several clients refresh a missing key; the others wait for its value', async () => {
    const prefix = fresh();
    const [a, b, c] = [separateClient(prefix), separateClient(prefix), separateClient(prefix)];
    const slow = gate<string>();
    let runs = 0;
    const load = () => {
      runs++;
      return slow.promise;
    };
    const seen = events();
    try {
      const first = a.getOrSet('k', load, { ttl: 60, waitMs: 5_000 });
      await until(() => runs === 1);
      const others = [
        b.getOrSet('k', load, { ttl: 60, waitMs: 5_000 }),
        c.getOrSet('k', load, { ttl: 60, waitMs: 5_000 }),
      ];
      await until(() => seen.seen.filter((e) => e === 'wait k').length === 2);
      slow.open('computed');
      expect(await Promise.all([first, ...others])).toEqual(['computed', 'computed', 'computed']);
      expect(runs).toBe(1);
      expect(seen.seen.sort()).toEqual(['wait k', 'wait k', 'win k']);
    } finally {
      seen.stop();
    }
  });

  it('serves the old value at once while one caller refreshes a value past its ttl (grace)', async () => {
    const prefix = fresh();
    const [a, b] = [separateClient(prefix), separateClient(prefix)];
    await a.getOrSet('k', () => 'old', { ttl: 1, grace: 60 });
    // Due as soon as ttl has passed, i.e. when grace is all that is left of ttl + grace (memcached's
    // clock ticks once a second): not a second later.
    await until(async () => (await rawTtl(sharedServer(), `${prefix}k`))! <= 60, 5_000);
    const slow = gate<string>();
    const contexts: RefreshContext<string>[] = [];
    const load = (context: RefreshContext<string>) => {
      contexts.push(context);
      return slow.promise;
    };
    const seen = events();
    try {
      const refresher = a.getOrSet('k', load, { ttl: 1, grace: 60 });
      await until(() => contexts.length === 1);
      // While the refresh runs, every other caller is served the old value, from any client.
      expect(await Promise.all([b.getOrSet('k', load, { ttl: 1, grace: 60 }), a.getOrSet('k', load, OPTIONS)])).toEqual(
        ['old', 'old'],
      );
      expect(contexts[0]!.stale).toBe('old');
      slow.open('new');
      expect(await refresher).toBe('new');
      expect(await b.getOrSet('k', load, OPTIONS)).toBe('new');
      expect(contexts.length).toBe(1);
      expect(seen.seen).toEqual(['win k', 'stale k', 'stale k']);
    } finally {
      seen.stop();
    }
  });

  it('serves stale to the calls that shared the winning request; only the first waits for the factory', async () => {
    const prefix = fresh();
    const client = separateClient(prefix);
    await client.getOrSet('k', () => 'old', OPTIONS);
    await client.invalidate('k');
    const slow = gate<string>();
    const calls = Array.from({ length: 5 }, () => client.getOrSet('k', () => slow.promise, OPTIONS));
    expect(await Promise.all(calls.slice(1))).toEqual(['old', 'old', 'old', 'old']);
    slow.open('new');
    expect(await calls[0]).toBe('new');
  });

  it('does not store a value computed before an invalidate (the item changed since the win)', async () => {
    const prefix = fresh();
    const [a, b] = [separateClient(prefix), separateClient(prefix)];
    await a.getOrSet('price', () => 10, OPTIONS);
    await a.invalidate('price');
    const slow = gate<number>();
    let started = false;
    const refreshing = a.getOrSet(
      'price',
      () => {
        started = true;
        return slow.promise;
      },
      OPTIONS,
    );
    await until(() => started);
    // The database changes while the refresh read the old row: invalidate again.
    expect(await b.invalidate('price')).toBe(true);
    slow.open(11);
    expect(await refreshing).toBe(11);
    // Not stored: the stale 10 stays, and the next caller refreshes it.
    expect(await b.get('price')).toBe(10);
    expect(await b.getOrSet('price', () => 12, OPTIONS)).toBe(12);
    expect(await a.get('price')).toBe(12);
  });

  it('gives the right back when the factory fails: another caller refreshes at once, and the old value stays', async () => {
    const prefix = fresh();
    const [a, b] = [separateClient(prefix), separateClient(prefix)];
    const seen = events();
    try {
      // Missing: the placeholder is deleted, so the next caller wins without waiting lockTtl (30 s).
      const failing = gate();
      const first = a.getOrSet(
        'k',
        async () => {
          await failing.promise;
          throw new Error('database down');
        },
        OPTIONS,
      );
      const shared = a.getOrSet('k', () => 'unused', OPTIONS);
      await until(() => seen.seen.includes('win k'));
      const waiting = b.getOrSet('k', () => 'from b', { ttl: 300, waitMs: 5_000 });
      await until(() => seen.seen.includes('wait k'));
      failing.open();
      await expect(first).rejects.toThrow('database down');
      await expect(shared).rejects.toThrow('database down');
      expect(await waiting).toBe('from b');
      expect(seen.seen).toEqual(['win k', 'wait k', 'error k', 'takeover k']);
      // Stale: the old value is kept (not overwritten), and the right handed out again.
      await a.invalidate('k');
      await expect(a.getOrSet('k', () => Promise.reject(new Error('again')), OPTIONS)).rejects.toThrow('again');
      expect(await b.get('k')).toBe('from b');
      const stale: unknown[] = [];
      expect(
        await b.getOrSet(
          'k',
          ({ stale: old }) => {
            stale.push(old);
            return 'fixed';
          },
          OPTIONS,
        ),
      ).toBe('fixed');
      expect(stale).toEqual(['from b']);
    } finally {
      seen.stop();
    }
  });

  it('treats a value that cannot be stored as a factory error, and gives the right back', async () => {
    const prefix = fresh();
    const client = separateClient(prefix);
    await expect(client.getOrSet('k', () => undefined as unknown as string, OPTIONS)).rejects.toMatchObject({
      code: 'ERR_INVALID_VALUE',
    });
    expect(await separateClient(prefix).getOrSet('k', () => 'ok', { ttl: 60, waitMs: 0 })).toBe('ok');
  });

  it('rejects a caller with nothing to serve after waitMs, and publishes timeout', async () => {
    const prefix = fresh();
    const [a, b] = [separateClient(prefix), separateClient(prefix)];
    const slow = gate<string>();
    const seen = events();
    const first = a.getOrSet('k', () => slow.promise, OPTIONS);
    try {
      await until(() => seen.seen.includes('win k'));
      await expect(b.getOrSet('k', () => 'b', { ttl: 60, waitMs: 50, lockTtl: 7 })).rejects.toMatchObject({
        code: 'ERR_MEMCACHED_WAIT_TIMEOUT',
        server: sharedServer(),
        message: expect.stringContaining('lockTtl (7 s)'),
      });
      await expect(b.getOrSet('k', () => 'b', { ttl: 60, waitMs: 0 })).rejects.toMatchObject({
        code: 'ERR_MEMCACHED_WAIT_TIMEOUT',
      });
      expect(seen.seen).toEqual(['win k', 'wait k', 'timeout k', 'wait k', 'timeout k']);
    } finally {
      seen.stop();
    }
    slow.open('a');
    expect(await first).toBe('a');
  });

  it('takes over once lockTtl has passed when the refresher never stores', async () => {
    const prefix = fresh();
    const [a, b] = [separateClient(prefix), separateClient(prefix)];
    const seen = events();
    try {
      // a's factory never settles (its process is as good as dead); its placeholder lives lockTtl.
      const abandoned = a.getOrSet('k', () => new Promise<string>(() => {}), { ttl: 60, lockTtl: 1 });
      abandoned.catch(() => {}); // rejected when the client closes after the file
      await until(() => seen.seen.includes('win k'));
      expect(await b.getOrSet('k', () => 'taken over', { ttl: 60, lockTtl: 1, waitMs: 5_000 })).toBe('taken over');
      expect(seen.seen).toEqual(['win k', 'wait k', 'takeover k']);
    } finally {
      seen.stop();
    }
  });

  it('rejects an aborted caller at once; the factory signal aborts once no caller waits', async () => {
    const prefix = fresh();
    const client = separateClient(prefix);
    const slow = gate<string>();
    let factorySignal: AbortSignal | undefined;
    const load = ({ signal }: RefreshContext<string>) => {
      factorySignal = signal;
      return slow.promise;
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = client.getOrSet('k', load, { ttl: 60, signal: first.signal });
    const b = client.getOrSet('k', load, { ttl: 60, signal: second.signal });
    await until(() => factorySignal !== undefined);
    first.abort('gone');
    await expect(a).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED', cause: 'gone' });
    expect(factorySignal!.aborted).toBe(false);
    second.abort('gone too');
    await expect(b).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED', cause: 'gone too' });
    expect(factorySignal!.aborted).toBe(true);
    // The refresh still stores what it returns.
    slow.open('late');
    await until(async () => (await client.get('k')) === 'late');
  });

  it('holds one abort listener for a signal many calls share, and warns of nothing', async () => {
    const client = separateClient(fresh());
    const slow = gate<string>();
    const { signal } = new AbortController();
    let peak = 0;
    const warnings = await warningsDuring(async () => {
      const calls = Array.from({ length: 30 }, (_, i) =>
        client.getOrSet(`k${i % 3}`, () => slow.promise, { ttl: 60, signal }),
      );
      peak = getEventListeners(signal, 'abort').length;
      slow.open('v');
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 30 }, () => 'v'));
    });
    expect(peak).toBe(1);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(warnings).toEqual([]);
  });

  it('rejects its calls when the client closes, and gives the right back so another client refreshes at once', async () => {
    const prefix = fresh();
    const a = new Client(sharedServer(), { keyPrefix: prefix });
    const b = separateClient(prefix);
    let started = false;
    const pending = a.getOrSet(
      'k',
      () => {
        started = true;
        return new Promise<string>(() => {});
      },
      OPTIONS,
    );
    await until(() => started);
    const rejected = expect(pending).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await a.close();
    await rejected;
    await expect(a.getOrSet('k', () => 'x', OPTIONS)).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await expect(a.invalidate('k')).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    // lockTtl is 30 s and b waits at most 0 ms: only a given-back right lets it refresh now.
    expect(await b.getOrSet('k', () => 'b', { ttl: 60, waitMs: 0 })).toBe('b');
  });

  it('gives the right back when its client closes after every caller left a refresh', async () => {
    const prefix = fresh();
    const a = new Client(sharedServer(), { keyPrefix: prefix });
    const b = separateClient(prefix);
    const slow = gate<string>();
    let started = false;
    const controller = new AbortController();
    const pending = a.getOrSet(
      'k',
      () => {
        started = true;
        return slow.promise;
      },
      { ttl: 60, signal: controller.signal },
    );
    await until(() => started);
    controller.abort('gone');
    await expect(pending).rejects.toMatchObject({ code: 'ERR_MEMCACHED_ABORTED' });
    // The refresh could still have stored through a; once a closes, it cannot: the right goes back.
    await a.close();
    expect(await b.getOrSet('k', () => 'b', { ttl: 60, waitMs: 0 })).toBe('b');
    slow.open('late');
    await sleep(20);
    expect(await b.get('k')).toBe('b');
  });

  it('goes on through a clone when the client that started a shared refresh closes', async () => {
    const prefix = fresh();
    const client = new Client(sharedServer(), { keyPrefix: prefix });
    const clone = track(client.clone());
    const slow = gate<string>();
    const first = client.getOrSet('k', () => slow.promise, OPTIONS);
    const second = clone.getOrSet('k', () => 'unused', OPTIONS);
    await sleep(20);
    const rejected = expect(first).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await client.close();
    await rejected;
    slow.open('through the clone');
    expect(await second).toBe('through the clone');
    expect(await clone.get('k')).toBe('through the clone');
  });

  it('publishes store-error when the value cannot be written, and still returns it', async () => {
    const server = await ownServer({ args: ['-I', '1m'] });
    const client = track(new Client(server.address, { maxValueBytes: 2 * 1024 * 1024 }));
    const seen = events();
    try {
      const big = Buffer.alloc(1024 * 1024 + 100, 1);
      expect(await client.getOrSet('big', () => big, OPTIONS)).toBe(big);
      await until(() => seen.seen.includes('store-error big'));
      expect(seen.errors).toMatchObject([{ code: 'ERR_MEMCACHED_SERVER' }]);
    } finally {
      seen.stop();
    }
  });
});

describe('invalidate', () => {
  it('marks the value stale: getOrSet serves it while one caller refreshes, get still returns it', async () => {
    const prefix = fresh();
    const [a, b] = [separateClient(prefix), separateClient(prefix)];
    await a.getOrSet('k', () => 'v1', OPTIONS);
    expect(await a.invalidate('k', { grace: 30 })).toBe(true);
    // A plain get neither sees that it is stale nor takes the right to refresh it (any mg would).
    expect(await b.get('k')).toBe('v1');
    const slow = gate<string>();
    const refreshing = a.getOrSet('k', () => slow.promise, OPTIONS);
    await sleep(20);
    expect(await b.getOrSet('k', () => 'not run', OPTIONS)).toBe('v1');
    slow.open('v2');
    expect(await refreshing).toBe('v2');
    expect(await b.getOrSet('k', () => 'not run', OPTIONS)).toBe('v2');
    // grace sets the stale item's TTL.
    await a.set('other', 'v');
    await a.invalidate('other', { grace: 30 });
    expect(await rawTtl(sharedServer(), `${prefix}other`)).toBeLessThanOrEqual(30);
  });

  it('keeps the remaining TTL without grace, deletes with grace 0, and resolves false for a missing key', async () => {
    const prefix = fresh();
    const client = separateClient(prefix);
    await client.set('k', 'v', { ttl: 100 });
    expect(await client.invalidate('k')).toBe(true);
    expect(await rawTtl(sharedServer(), `${prefix}k`)).toBeGreaterThan(95);
    expect(await client.invalidate('k', { grace: 0 })).toBe(true);
    expect(await client.get('k')).toBeUndefined();
    expect(await client.invalidate('k')).toBe(false);
  });
});

describe('empty values and the placeholder', () => {
  it('a plain get of a key being refreshed for the first time returns an empty Buffer (the placeholder)', async () => {
    const prefix = fresh();
    const client = separateClient(prefix);
    const slow = gate<string>();
    const refreshing = client.getOrSet('k', () => slow.promise, OPTIONS);
    await sleep(20);
    expect(await client.get('k')).toEqual(Buffer.alloc(0));
    slow.open('v');
    expect(await refreshing).toBe('v');
    expect(await client.get('k')).toBe('v');
  });

  it('an empty byte value is served while fresh, but while refreshed others wait as for the placeholder', async () => {
    const prefix = fresh();
    const [a, b] = [separateClient(prefix), separateClient(prefix)];
    expect(await a.getOrSet('k', () => Buffer.alloc(0), OPTIONS)).toEqual(Buffer.alloc(0));
    expect(await b.getOrSet('k', () => Buffer.from('x'), OPTIONS)).toEqual(Buffer.alloc(0));
    await a.invalidate('k');
    const slow = gate<Buffer>();
    const stale: unknown[] = [];
    const refreshing = a.getOrSet(
      'k',
      ({ stale: old }) => {
        stale.push(old);
        return slow.promise;
      },
      OPTIONS,
    );
    await sleep(20);
    // Not served the empty value: it waits, as it would for a placeholder.
    await expect(b.getOrSet('k', () => Buffer.from('x'), { ttl: 300, waitMs: 50 })).rejects.toMatchObject({
      code: 'ERR_MEMCACHED_WAIT_TIMEOUT',
    });
    expect(stale).toEqual([undefined]);
    slow.open(Buffer.from('full'));
    expect(await refreshing).toEqual(Buffer.from('full'));
    // An empty string is no placeholder: its flags say text.
    await a.set('s', '');
    await a.invalidate('s');
    const winner = a.getOrSet('s', () => slow.promise, OPTIONS);
    expect(await b.getOrSet('s', () => Buffer.from('x'), { ttl: 300, waitMs: 0 })).toBe('');
    await winner;
  });
});

describe('getOrSet across servers', () => {
  it('stores on the key server, with keyPrefix, over several servers', async () => {
    const servers = (await Promise.all([ownServer(), ownServer(), ownServer()])).map((server) => server.address);
    const client = track(new Client(servers, { distribution: 'ketama', keyPrefix: 'p:' }));
    const placement = createDistribution(
      servers.map((server) => parseServer(server)),
      'ketama',
    );
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    expect(await Promise.all(keys.map((key) => client.getOrSet(key, () => key, OPTIONS)))).toEqual(keys);
    for (const key of keys) {
      const home = servers[placement.serverFor(Buffer.from(key))]!;
      expect(await rawGet(home, `p:${key}`)).toEqual({ flags: 16, length: key.length });
    }
    expect(await Promise.all(keys.map((key) => client.invalidate(key)))).toEqual(keys.map(() => true));
  });

  it('with failover, refreshes a dead server’s keys on the others once it is ejected', async () => {
    const live = (await ownServer()).address;
    const client = track(new Client([live, '127.0.0.1:9'], { distribution: 'ketama', removeFailed: 1 }));
    client.on('error', () => {});
    const keys = Array.from({ length: 20 }, (_, i) => `fo${i}`);
    const first = await Promise.allSettled(keys.map((key) => client.getOrSet(key, () => key, OPTIONS)));
    expect(first.some((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(await Promise.all(keys.map((key) => client.getOrSet(key, () => key, OPTIONS)))).toEqual(keys);
    expect(await rawGet(live, 'fo0')).toMatchObject({ flags: 16 });
  });
});

describe('getOrSet and invalidate refuse bad input before anything is sent', () => {
  // Nothing listens on port 9: any command sent would fail with a connection error instead.
  const client = track(new Client('127.0.0.1:9'));
  const load = () => 'v';

  it.each([
    ['a key with a space', () => client.getOrSet('two words', load, OPTIONS), 'ERR_INVALID_KEY'],
    ['a missing ttl', () => client.getOrSet('k', load, {} as GetOrSetOptions), 'ERR_INVALID_ARG_VALUE'],
    ['a negative ttl', () => client.getOrSet('k', load, { ttl: -1 }), 'ERR_INVALID_ARG_VALUE'],
    ['a fractional ttl', () => client.getOrSet('k', load, { ttl: 1.5 }), 'ERR_INVALID_ARG_VALUE'],
    ['a negative grace', () => client.getOrSet('k', load, { ttl: 1, grace: -1 }), 'ERR_INVALID_ARG_VALUE'],
    ['a grace over 30 days', () => client.getOrSet('k', load, { ttl: 1, grace: 2592001 }), 'ERR_INVALID_ARG_VALUE'],
    [
      'a lockTtl of 0 (never expires)',
      () => client.getOrSet('k', load, { ttl: 1, lockTtl: 0 }),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['a negative waitMs', () => client.getOrSet('k', load, { ttl: 1, waitMs: -1 }), 'ERR_INVALID_ARG_VALUE'],
    [
      'a waitMs setTimeout cannot take',
      () => client.getOrSet('k', load, { ttl: 1, waitMs: 2 ** 31 }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'an unknown option',
      () => client.getOrSet('k', load, { ttl: 1, lockTTL: 5 } as GetOrSetOptions),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'options that are not an object',
      () => client.getOrSet('k', load, null as unknown as GetOrSetOptions),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'a signal that is not an AbortSignal',
      () => client.getOrSet('k', load, { ttl: 1, signal: {} as AbortSignal }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'a factory that is not a function',
      () => client.getOrSet('k', 'v' as unknown as () => string, OPTIONS),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'an aborted signal',
      () => client.getOrSet('k', load, { ttl: 1, signal: AbortSignal.abort() }),
      'ERR_MEMCACHED_ABORTED',
    ],
    ['invalidate with a negative grace', () => client.invalidate('k', { grace: -1 }), 'ERR_INVALID_ARG_VALUE'],
    ['invalidate with an unknown option', () => client.invalidate('k', { ttl: 5 } as never), 'ERR_INVALID_ARG_VALUE'],
    ['invalidate of a bad key', () => client.invalidate(''), 'ERR_INVALID_KEY'],
  ])('%s', async (_, call, code) => {
    await expect(call()).rejects.toMatchObject({ code });
  });
});
