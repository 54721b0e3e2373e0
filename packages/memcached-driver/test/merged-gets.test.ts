import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type CasItem, Client, type ClientOptions, channelNames, createDistribution, Flags } from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import { fakeServer, ownServer, rawSet, recordingProxy, sharedServer, track } from './support.ts';

/** A client on its own recording stand-in in front of the shared server, and the request lines it sends. */
async function recorded(options: ClientOptions = {}): Promise<{ client: Client; lines: string[] }> {
  const { address, lines } = await recordingProxy(sharedServer());
  const client = track(new Client(address, { keyPrefix: `m${Math.random().toString(36).slice(2, 8)}:`, ...options }));
  // Connected and idle, so what follows is measured on a ready connection.
  await client.version();
  lines.length = 0;
  return { client, lines };
}

/** The prefix a `recorded()` client puts on every key, read back from its first line. */
function prefixOf(lines: readonly string[], key: string): string {
  const line = lines.find((l) => l.includes(`:${key}`))!;
  const word = line.split(' ').find((w) => w.endsWith(`:${key}`))!;
  return word.slice(0, word.length - key.length);
}

/** `lines` with `prefix` taken off every key. */
function bare(lines: readonly string[], prefix: string): string[] {
  return lines.map((line) => line.replaceAll(prefix, ''));
}

describe('merged gets: the gets of one tick go out as one command', () => {
  it('sends the gets issued together as one `get k1 k2 …` line, and each caller gets its own value or miss', async () => {
    const { client, lines } = await recorded();
    await client.setMulti({ a: 'A', b: 2, c: { c: true } });
    lines.length = 0;
    const results = await Promise.all([client.get('a'), client.get('b'), client.get('none'), client.get('c')]);
    expect(results).toEqual(['A', 2, undefined, { c: true }]);
    expect(bare(lines, prefixOf(lines, 'a'))).toEqual(['get a b none c']);
  });

  it('merges gets with gets, gat with gat of the same TTL, and never across kinds or TTLs', async () => {
    const { client, lines } = await recorded();
    await client.setMulti({ a: 1, b: 2, c: 3 });
    lines.length = 0;
    const results = await Promise.all([
      client.gets('a'),
      client.gets('b'),
      client.get('a'),
      client.gat('a', 100),
      client.gat('b', 100),
      client.gat('c', 200),
      client.gats('c', 200),
      client.gats('a', 200),
    ]);
    expect(bare(lines, prefixOf(lines, 'a'))).toEqual([
      'gets a b',
      'get a',
      'gat 100 a b',
      'gat 200 c',
      'gats 200 c a',
    ]);
    const [ga, gb] = results as unknown as [CasItem, CasItem];
    expect([ga.value, typeof ga.cas, gb.value, typeof gb.cas]).toEqual([1, 'bigint', 2, 'bigint']);
    expect(ga.cas).not.toBe(gb.cas);
    expect(results.slice(2, 6)).toEqual([1, 1, 2, 3]);
    expect((results[6] as CasItem).value).toBe(3);
    expect((results[7] as CasItem).cas).toBe(ga.cas);
    // Each caller's CAS token is that of its own key.
    expect(await client.cas('b', 'B', gb.cas)).toBe(true);
  });

  it('keeps order on the connection: a get after a set or delete sees it; only adjacent gets merge', async () => {
    const { client, lines } = await recorded();
    await client.set('k', 'old');
    lines.length = 0;
    const results = await Promise.all([
      client.get('k'),
      client.get('j'),
      client.set('k', 'new'),
      client.get('k'),
      client.delete('k'),
      client.get('k'),
      client.get('j'),
    ]);
    expect(results).toEqual(['old', undefined, true, 'new', true, undefined, undefined]);
    const prefix = prefixOf(lines, 'k');
    expect(bare(lines, prefix).filter((line) => !/^(new|set|delete)/.test(line))).toEqual([
      'get k j',
      'get k',
      'get k j',
    ]);
  });

  it('sends a key asked twice in one batch once; both callers get it, each its own copy', async () => {
    const { client, lines } = await recorded();
    await client.set('buf', Buffer.from('bytes'));
    await client.set('obj', { n: 1 });
    lines.length = 0;
    const [b1, o1, b2, o2, item1, item2] = await Promise.all([
      client.get<Buffer>('buf'),
      client.get('obj'),
      client.get<Buffer>('buf'),
      client.get('obj'),
      client.gets('miss'),
      client.gets('miss'),
    ]);
    expect(bare(lines, prefixOf(lines, 'buf'))).toEqual(['get buf obj', 'gets miss']);
    expect(b1).toEqual(Buffer.from('bytes'));
    expect(b2).toEqual(Buffer.from('bytes'));
    // A Buffer or object is the caller's to change: the two callers never share one.
    expect(b1).not.toBe(b2);
    expect(o1).toEqual({ n: 1 });
    expect(o2).not.toBe(o1);
    expect([item1, item2]).toEqual([undefined, undefined]);
  });

  it('sends each key of a long line once, also when many keys hash alike', async () => {
    const { client, lines } = await recorded();
    // Keys that differ only in their second character, which the key table does not hash.
    const alike = Array.from({ length: 24 }, (_, i) => `x${String.fromCharCode(65 + i)}-same-tail`);
    const plain = Array.from({ length: 24 }, (_, i) => `p${i}`);
    await client.setMulti([...alike, ...plain].filter((_, i) => i % 2 === 0).map((key) => [key, key] as const));
    lines.length = 0;
    // Every key asked twice (96 calls, one line), in an order that mixes the two sets.
    const asked = [...alike, ...plain, ...plain.toReversed(), ...alike.toReversed()];
    const expected = new Map([...alike, ...plain].map((key, i) => [key, i % 2 === 0 ? key : undefined]));
    expect(await Promise.all(asked.map((key) => client.get(key)))).toEqual(asked.map((key) => expected.get(key)));
    expect(bare(lines, prefixOf(lines, 'p0'))).toEqual([`get ${[...alike, ...plain].join(' ')}`]);
  });

  it('a bad key rejects only its caller, before the batch is sent', async () => {
    const { client, lines } = await recorded();
    await client.setMulti({ a: 1, b: 2 });
    lines.length = 0;
    const results = await Promise.allSettled([
      client.get('a'),
      client.get('bad key'),
      client.get('x'.repeat(251)),
      client.get('b'),
    ]);
    expect(results).toMatchObject([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: { code: 'ERR_INVALID_KEY' } },
      { status: 'rejected', reason: { code: 'ERR_INVALID_KEY' } },
      { status: 'fulfilled', value: 2 },
    ]);
    expect(bare(lines, prefixOf(lines, 'a'))).toEqual(['get a b']);
  });

  it('a value that cannot be decoded rejects only its caller', async () => {
    const server = await ownServer();
    await rawSet(server.address, 'bad', Flags.JSON, Buffer.from('{not json'));
    await rawSet(server.address, 'good', Flags.TEXT, Buffer.from('fine'));
    const client = track(new Client(server.address));
    const results = await Promise.allSettled([client.get('good'), client.get('bad'), client.gets('bad')]);
    expect(results).toMatchObject([
      { status: 'fulfilled', value: 'fine' },
      { status: 'rejected', reason: { code: 'ERR_INVALID_VALUE' } },
      { status: 'rejected', reason: { code: 'ERR_INVALID_VALUE' } },
    ]);
    expect(await client.get('good')).toBe('fine');
  });

  it('splits a batch larger than the key limit into lines of 100 keys, in order', async () => {
    const { client, lines } = await recorded();
    const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
    await client.setMulti(keys.filter((_, i) => i % 3 !== 0).map((key) => [key, key] as const));
    lines.length = 0;
    const results = await Promise.all(keys.map((key) => client.get(key)));
    expect(results).toEqual(keys.map((key, i) => (i % 3 !== 0 ? key : undefined)));
    const prefix = prefixOf(lines, 'k0');
    expect(bare(lines, prefix)).toEqual([
      `get ${keys.slice(0, 100).join(' ')}`,
      `get ${keys.slice(100, 200).join(' ')}`,
      `get ${keys.slice(200).join(' ')}`,
    ]);
  });

  it('keeps a merged gat line under memcached 2048-byte limit for lines that are not get or gets', async () => {
    const { client, lines } = await recorded();
    const keys = Array.from({ length: 20 }, (_, i) => `${i}`.padStart(200, 'g'));
    await client.setMulti(keys.map((key) => [key, 1] as const));
    lines.length = 0;
    expect(await Promise.all(keys.map((key) => client.gat(key, 60)))).toEqual(keys.map(() => 1));
    const gats = lines.filter((line) => line.startsWith('gat '));
    expect(gats.length).toBeGreaterThan(1);
    for (const line of gats) expect(line.length + 2).toBeLessThan(2048);
    expect(
      gats
        .join(' ')
        .split(' ')
        .filter((word) => word.length > 200),
    ).toHaveLength(20);
  });

  it('with mergeGets: false sends one command per get, as before', async () => {
    const { client, lines } = await recorded({ mergeGets: false });
    await client.setMulti({ a: 1, b: 2 });
    lines.length = 0;
    expect(await Promise.all([client.get('a'), client.get('b'), client.gets('a'), client.gat('b', 10)])).toMatchObject([
      1,
      2,
      { value: 1 },
      2,
    ]);
    expect(bare(lines, prefixOf(lines, 'a'))).toEqual(['get a', 'get b', 'gets a', 'gat 10 b']);
  });

  it('refuses a mergeGets that is not a boolean, and unknown option names', () => {
    expect(() => new Client('localhost', { mergeGets: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => new Client('localhost', { mergeGet: false } as unknown as ClientOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('merges the gets issued while the connection is still connecting', async () => {
    const { address, lines } = await recordingProxy(sharedServer());
    const client = track(new Client(address, { keyPrefix: 'connecting:' }));
    expect(await Promise.all([client.get('a'), client.get('b'), client.get('c')])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(lines).toEqual(['get connecting:a connecting:b connecting:c']);
  });

  it('commands accepted before close() are written and answered, merged gets included', async () => {
    const client = track(new Client(sharedServer(), { keyPrefix: 'closing:' }));
    await client.set('a', 1);
    const pending = Promise.all([client.get('a'), client.get('b'), client.get('a')]);
    await client.close();
    expect(await pending).toEqual([1, undefined, 1]);
    await expect(client.get('a')).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
  });

  it('traces each caller of a merged batch as its own get, with its own result', async () => {
    const { client } = await recorded();
    await client.set('t1', 'one');
    const seen: string[] = [];
    const onEnd = (message: unknown) => {
      const { command, key, result } = message as { command: string; key: string; result: unknown };
      seen.push(`${command} ${key} ${String(result)}`);
    };
    subscribe(`tracing:${channelNames.command}:asyncEnd`, onEnd);
    try {
      await Promise.all([client.get('t1'), client.get('t2'), client.gets('t1')]);
    } finally {
      unsubscribe(`tracing:${channelNames.command}:asyncEnd`, onEnd);
    }
    expect(seen).toEqual(['get t1 one', 'get t2 undefined', 'gets t1 [object Object]']);
  });
});

/** What `call` writes to sockets in the same tick: before the first microtask queued after it. */
async function writtenInTick(call: () => Promise<unknown>): Promise<{ written: string[]; pending: Promise<unknown> }> {
  const written: string[] = [];
  const write = Socket.prototype.write;
  const spy = vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    written.push(Buffer.from(args[0] as Uint8Array).toString('latin1'));
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  });
  let pending: Promise<unknown>;
  try {
    pending = call();
    // One microtask checkpoint: no timer, no later turn of the event loop.
    await Promise.resolve();
  } finally {
    spy.mockRestore();
  }
  return { written, pending };
}

/** A key that a modula ring over `servers` places on `servers[index]`. */
function keyOn(servers: readonly string[], index: number): string {
  const placement = createDistribution(
    servers.map((server) => parseServer(server)),
    'modula',
  );
  return Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => placement.serverFor(Buffer.from(k)) === index)!;
}

describe('a lone get is never delayed', () => {
  it('is written to the socket in the same tick it is called, before the microtasks queued after it', async () => {
    const client = track(new Client(sharedServer(), { keyPrefix: 'lone:' }));
    await client.set('k', 'v');
    const { written, pending } = await writtenInTick(() => client.get('k'));
    expect(written).toEqual(['get lone:k\r\n']);
    expect(await pending).toBe('v');
  });

  it('still is once a connection failed with gets in flight: no reply it owed is left counted', async () => {
    const { address: dying } = await fakeServer((_, socket) => socket.destroy());
    const servers = [sharedServer(), dying];
    const client = track(new Client(servers, { keyPrefix: 'lone2:', retryTimeoutMs: 60_000 }));
    const live = keyOn(servers, 0);
    await client.set(live, 'v');
    const lost = await Promise.allSettled([client.get(keyOn(servers, 1)), client.gets(keyOn(servers, 1))]);
    expect(lost).toMatchObject([{ status: 'rejected' }, { status: 'rejected' }]);
    const { written, pending } = await writtenInTick(() => client.get(live));
    expect(written).toEqual([`get lone2:${live}\r\n`]);
    expect(await pending).toBe('v');
  });
});

describe('a batch whose server fails', () => {
  it('dies mid-reply: every caller rejects with a typed error and nothing hangs', async () => {
    const { address } = await fakeServer((request, socket) => {
      if (!request.startsWith('get ')) return;
      // The first value whole, half of the second, then the connection closes.
      socket.write('VALUE a 16 1\r\nA\r\nVALUE b 16 5\r\nBB');
      setTimeout(() => socket.destroy(), 20);
    });
    const client = track(new Client(address, { timeoutMs: 5_000 }));
    const results = await Promise.allSettled([client.get('a'), client.get('b'), client.get('c'), client.gets('d')]);
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'ERR_MEMCACHED_CONNECTION', server: address },
      });
    }
  });

  it('answers with an error reply: every caller rejects with it, and the connection stays in step', async () => {
    const { address } = await fakeServer((request, socket) => {
      if (request === 'get a b c\r\n') socket.write('SERVER_ERROR out of memory writing get response\r\n');
      else if (request === 'get d\r\n') socket.write('VALUE d 16 1\r\nD\r\nEND\r\n');
    });
    const client = track(new Client(address));
    const results = await Promise.allSettled([client.get('a'), client.get('b'), client.get('c')]);
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MEMCACHED_SERVER' } });
    }
    expect(await client.get('d')).toBe('D');
  });

  it('answers a key that was not asked for: the stream is out of step, every caller rejects', async () => {
    const { address } = await fakeServer((request, socket) => {
      if (request.startsWith('get ')) socket.write('VALUE zz 16 1\r\nZ\r\nEND\r\n');
    });
    const client = track(new Client(address));
    const results = await Promise.allSettled([client.get('a'), client.get('b')]);
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MEMCACHED_PROTOCOL' } });
    }
  });

  it('stalls: every caller rejects with ERR_MEMCACHED_TIMEOUT after timeoutMs', async () => {
    const { address } = await fakeServer(() => {});
    const client = track(new Client(address, { timeoutMs: 200 }));
    const results = await Promise.allSettled([client.get('a'), client.gets('b'), client.gat('c', 1)]);
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MEMCACHED_TIMEOUT' } });
    }
  });
});

type Step =
  | { readonly op: 'get' | 'gets' | 'delete'; readonly key: string }
  | { readonly op: 'gat'; readonly key: string; readonly ttl: number }
  | { readonly op: 'set'; readonly key: string; readonly value: number | string };

const KEYS = ['a', 'b', 'c', 'missing'];
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constantFrom('get' as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('gets' as const), key: fc.constantFrom(...KEYS) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('gat' as const),
      key: fc.constantFrom(...KEYS),
      ttl: fc.constantFrom(0, 60),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      key: fc.constantFrom(...KEYS.slice(0, 3)),
      value: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.string({ maxLength: 4 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) }) },
);
/** How a batch of steps ends before the next begins. */
const boundary = fc.constantFrom('settled', 'microtask', 'immediate', 'none');

function run(client: Client, s: Step): Promise<unknown> {
  switch (s.op) {
    case 'get':
      return client.get(s.key);
    case 'gets':
      // The CAS token differs between two servers' histories; what is compared is that there is one.
      return client.gets(s.key).then((item) => item && { value: item.value, cas: typeof item.cas });
    case 'gat':
      return client.gat(s.key, s.ttl);
    case 'set':
      return client.set(s.key, s.value);
    case 'delete':
      return client.delete(s.key);
  }
}

describe('merged gets give every caller what a one-at-a-time client would (property, real memcached)', () => {
  it('for any interleaving of gets, sets, deletes and misses over a few keys, cut into batches at random', async () => {
    const seed = Number(process.env.CLONEPOOL_SEED ?? Date.now() % 2 ** 31);
    console.log(`merged gets property: seed ${seed} (replay with CLONEPOOL_SEED=${seed})`);
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(step, { minLength: 1, maxLength: 8 }), boundary), { minLength: 1, maxLength: 6 }),
        async (batches) => {
          round++;
          const reference = new Client(sharedServer(), { keyPrefix: `ref${round}:`, mergeGets: false });
          const merged = new Client(sharedServer(), { keyPrefix: `mrg${round}:` });
          try {
            const expected: unknown[] = [];
            for (const [steps] of batches) for (const s of steps) expected.push(await run(reference, s));
            const issued: Promise<unknown>[] = [];
            for (const [steps, end] of batches) {
              const batch = steps.map((s) => run(merged, s));
              issued.push(...batch);
              if (end === 'settled') await Promise.all(batch);
              else if (end === 'microtask') await Promise.resolve();
              else if (end === 'immediate') await new Promise((resolve) => setImmediate(resolve));
            }
            expect(await Promise.all(issued)).toEqual(expected);
          } finally {
            await Promise.all([reference.close(), merged.close()]);
          }
        },
      ),
      { seed, numRuns: 150 },
    );
  });
});
