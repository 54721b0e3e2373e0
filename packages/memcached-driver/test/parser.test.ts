import { connect, createServer, type Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedReplyError, MemcachedError } from '../src/errors.ts';
import { Client, Flags } from '../src/index.ts';
import { ReplyParser, type ReplySink } from '../src/parser.ts';
import { fakeServer, ownServer, track } from './support.ts';

/** Records what the parser reports, copying the bytes out of the (reused) chunks. */
function recorder(): { sink: ReplySink; events: string[] } {
  const events: string[] = [];
  return {
    events,
    sink: {
      onLine: (src, start, end) => events.push(`line ${src.toString('latin1', start, end)}`),
      onValueHeader: (src, ks, ke, flags, cs, ce) =>
        events.push(
          `value ${src.toString('latin1', ks, ke)} ${flags} ${cs < 0 ? '-' : src.toString('latin1', cs, ce)}`,
        ),
      onMetaHeader: (src, start, end) => events.push(`meta${src.toString('latin1', start, end)}`),
      onValue: (src, start, end) => events.push(`data ${JSON.stringify(src.toString('latin1', start, end))}`),
    },
  };
}

const nasty = 'x\r\nEND\r\nVALUE y 0 1\r\nz\r\n';
const recorded = Buffer.from(
  [
    `VALUE a 0 ${nasty.length}\r\n${nasty}\r\n`,
    'VALUE bb 4294967295 0 77\r\n\r\n',
    'END\r\n',
    'STORED\r\n',
    'STAT pid 12\r\n',
    'END\r\n',
    `VALUE ${'k'.repeat(250)} 16 3\r\nabc\r\nEND\r\n`,
  ].join(''),
  'latin1',
);

function parseWhole(): string[] {
  const { sink, events } = recorder();
  new ReplyParser(sink).feed(recorded);
  return events;
}

describe('ReplyParser', () => {
  it('reads values by their length: data holding \\r\\nEND\\r\\n is just data', () => {
    expect(parseWhole()).toEqual([
      'value a 0 -',
      `data ${JSON.stringify(nasty)}`,
      'value bb 4294967295 77',
      'data ""',
      'line END',
      'line STORED',
      'line STAT pid 12',
      'line END',
      `value ${'k'.repeat(250)} 16 -`,
      'data "abc"',
      'line END',
    ]);
  });

  it('gives the same result however the stream is cut into chunks (property)', () => {
    const whole = parseWhole();
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: recorded.length - 1 }), { maxLength: 40 }), (cuts) => {
        const { sink, events } = recorder();
        const parser = new ReplyParser(sink);
        let last = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          parser.feed(recorded.subarray(last, cut));
          last = cut;
        }
        parser.feed(recorded.subarray(last));
        expect(events).toEqual(whole);
      }),
      { numRuns: 500, verbose: true },
    );
  });

  it('parses a stream fed one byte at a time', () => {
    const { sink, events } = recorder();
    const parser = new ReplyParser(sink);
    for (let i = 0; i < recorded.length; i++) parser.feed(recorded.subarray(i, i + 1));
    expect(events).toEqual(parseWhole());
  });

  it.each([
    ['a line without CR', 'STORED\n'],
    ['a VALUE without a length', 'VALUE a 0\r\n'],
    ['a VALUE with a non-numeric length', 'VALUE a 0 1x\r\n'],
    ['a data block not ending in CRLF', 'VALUE a 0 1\r\nabc\r\n'],
    ['a line longer than any memcached sends', 'A'.repeat(70_000)],
  ])('throws MalformedReplyError on %s', (_, text) => {
    const { sink } = recorder();
    expect(() => new ReplyParser(sink).feed(Buffer.from(text))).toThrow(MalformedReplyError);
    expect(() => new ReplyParser(sink).feed(Buffer.from(text))).toThrow(
      expect.objectContaining({ code: 'ERR_MEMCACHED_MALFORMED_REPLY', name: 'MalformedReplyError' }),
    );
    expect(new MalformedReplyError('x')).toBeInstanceOf(MemcachedError);
  });

  it('reads meta VA headers by their length, with their flags, however the stream is cut (property)', () => {
    const data = 'a\r\nEN\r\nVA 1 W\r\n';
    const stream = Buffer.from(
      `VA ${data.length} c7 f16 W\r\n${data}\r\nVA 0 c8 f0 Z\r\n\r\nEN\r\nVA 2\r\nhi\r\nHD\r\n`,
      'latin1',
    );
    const expected = [
      'meta c7 f16 W',
      `data ${JSON.stringify(data)}`,
      'meta c8 f0 Z',
      'data ""',
      'line EN',
      'meta',
      'data "hi"',
      'line HD',
    ];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: stream.length }), (size) => {
        const { sink, events } = recorder();
        const parser = new ReplyParser(sink);
        for (let at = 0; at < stream.length; at += size) parser.feed(stream.subarray(at, at + size));
        expect(events).toEqual(expected);
      }),
    );
    for (const text of ['VA x c1\r\n', 'VA  c1\r\n', 'VA 1 c1\r\nab\r\n']) {
      expect(() => new ReplyParser(recorder().sink).feed(Buffer.from(text))).toThrow(MalformedReplyError);
    }
  });
});

/** Writes `data` one byte per event-loop turn. */
async function dribble(socket: Socket, data: Buffer): Promise<void> {
  for (let i = 0; i < data.length && !socket.destroyed; i++) {
    socket.write(data.subarray(i, i + 1));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('replies split at every byte by a dribbling server', () => {
  it('resolves get, gets, getMulti and stats with their own replies', async () => {
    const value = Buffer.from('va\r\nEND\r\nlue');
    const replies: Record<string, Buffer> = {
      'get a\r\n': Buffer.concat([
        Buffer.from(`VALUE a ${Flags.NONE} ${value.length}\r\n`),
        value,
        Buffer.from('\r\nEND\r\n'),
      ]),
      'gets a\r\n': Buffer.from(`VALUE a ${Flags.TEXT} 2 18446744073709551615\r\nhi\r\nEND\r\n`),
      'get a b c\r\n': Buffer.from(`VALUE c ${Flags.LONG} 2\r\n42\r\nVALUE a ${Flags.TEXT} 0\r\n\r\nEND\r\n`),
      'stats\r\n': Buffer.from('STAT pid 1\r\nSTAT version 9.9\r\nEND\r\n'),
    };
    // Replies are queued so they leave in order even though each dribbles over many turns.
    let chain = Promise.resolve();
    const { address } = await fakeServer((line, socket) => {
      const reply = replies[line] ?? Buffer.from('ERROR\r\n');
      chain = chain.then(() => dribble(socket, reply));
    });
    const client = track(new Client(address, { timeoutMs: 5000 }));
    const [get, gets, multi, stats] = await Promise.all([
      client.get('a'),
      client.gets('a'),
      client.getMulti(['a', 'b', 'c']),
      client.stats(),
    ]);
    expect(get).toEqual(value);
    expect(gets).toEqual({ value: 'hi', cas: 2n ** 64n - 1n });
    expect([...multi]).toEqual([
      ['c', 42],
      ['a', ''],
    ]);
    expect(stats.get(address)).toEqual({ pid: '1', version: '9.9' });
  });
});

describe('a server that sends garbage', () => {
  it('fails every op in flight with ERR_MEMCACHED_PROTOCOL, closes the socket, and the next op reconnects', async () => {
    let garbage = true;
    let connections = 0;
    const { address } = await fakeServer((line, socket) => {
      if (line.startsWith('get ')) {
        if (garbage) socket.write('HELLO THERE\r\n');
        else socket.write('VALUE ok 16 2\r\nok\r\nEND\r\n');
      }
    });
    const client = track(new Client(address, { timeoutMs: 5000 }));
    client.on('connect', () => connections++);
    const results = await Promise.allSettled([client.get('a'), client.get('b'), client.get('c')]);
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MEMCACHED_PROTOCOL' } });
    }
    garbage = false;
    expect(await client.get('ok')).toBe('ok');
    expect(connections).toBe(1); // the first 'connect'; the second is a 'reconnect'
  });

  it('rejects a VALUE for a key that was not asked for', async () => {
    const { address } = await fakeServer((line, socket) => {
      if (line.startsWith('get ')) socket.write('VALUE other 0 1\r\nx\r\nEND\r\n');
    });
    const client = track(new Client(address));
    await expect(client.getMulti(['a', 'b'])).rejects.toMatchObject({ code: 'ERR_MEMCACHED_PROTOCOL' });
  });

  it('rejects a reply that fits no command in flight', async () => {
    const { address } = await fakeServer((line, socket) => {
      if (line.startsWith('delete ')) socket.write('STORED\r\n');
    });
    const client = track(new Client(address));
    await expect(client.delete('a')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_PROTOCOL' });
  });
});

describe('a real memcached behind a proxy that dribbles its replies byte by byte', () => {
  it('every command gets its own reply', async () => {
    const server = await ownServer();
    const [host, port] = server.address.split(':');
    const proxy = createServer((client) => {
      const upstream = connect(Number(port), host!);
      client.pipe(upstream);
      let queue = Promise.resolve();
      upstream.on('data', (chunk: Buffer) => {
        queue = queue.then(() => dribble(client, chunk));
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => {});
      upstream.on('error', () => {});
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const client = new Client(`127.0.0.1:${(proxy.address() as { port: number }).port}`, { timeoutMs: 5000 });
      const big = Buffer.alloc(20_000, 0x0d);
      big.write('\r\nEND\r\nVALUE x 0 1\r\n', 100);
      const results = await Promise.all([
        client.set('a', 'alpha'),
        client.set('big', big),
        client.set('n', 41),
        client.get('a'),
        client.gets('a').then((item) => item?.value),
        client.getMulti(['a', 'missing', 'n']),
        client.incr('n'),
        client.add('a', 'no'),
        client.delete('missing'),
        client.touch('a', 100),
        client.get('big').then((value) => (value as Buffer).equals(big)),
        client.version().then((versions) => versions.size),
      ]);
      expect(results).toEqual([
        true,
        true,
        true,
        'alpha',
        'alpha',
        new Map<string, unknown>([
          ['a', 'alpha'],
          ['n', 41],
        ]),
        42,
        false,
        false,
        true,
        true,
        1,
      ]);
      await client.close();
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
