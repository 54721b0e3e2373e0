import { tracingChannel } from 'node:diagnostics_channel';
import { describe, expect, it, vi } from 'vitest';
import { channels } from '../src/diagnostics.ts';
import { Client, type CommandContext, channelNames } from '../src/index.ts';
import { ownServer, sharedClient, track } from './support.ts';

describe('diagnostics_channel', () => {
  it('traces every command on clonepool:memcached:command with its key, result and error', async () => {
    const client = sharedClient();
    const events: string[] = [];
    let hits = new Map<string, unknown>();
    const channel = tracingChannel<CommandContext, CommandContext>(channelNames.command);
    const handlers = {
      start: (ctx: CommandContext) => events.push(`start ${ctx.command} ${String(ctx.key)}`),
      end: () => {},
      asyncStart: (ctx: CommandContext) =>
        events.push(`done ${ctx.command} ${ctx.error ? (ctx.error as { code: string }).code : String(ctx.result)}`),
      asyncEnd: () => {},
      error: () => {},
    };
    channel.subscribe(handlers);
    try {
      await client.set('d', 1);
      await client.get('d');
      await client.get('bad key').catch(() => {});
      // A generator of keys is read once, for the trace and the command alike.
      hits = await client.getMulti(
        (function* () {
          yield 'd';
        })(),
      );
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(hits.get('d')).toBe(1);
    await client.get('d'); // not traced any more
    expect(events).toEqual([
      'start set d',
      'done set true',
      'start get d',
      'done get 1',
      'start get bad key',
      'done get ERR_INVALID_KEY',
      'start getMulti d',
      'done getMulti [object Map]',
    ]);
  });

  it('leaves getMulti rejecting, never throwing, when its keys throw as they are read', async () => {
    const client = sharedClient();
    const failing = function* () {
      yield 'a';
      throw new Error('keys failed');
    };
    const outcome = () => {
      try {
        return client.getMulti(failing()).then(
          () => 'resolved',
          (error: Error) => `rejected: ${error.message}`,
        );
      } catch (error) {
        return Promise.resolve(`threw: ${(error as Error).message}`);
      }
    };
    expect(await outcome()).toBe('rejected: keys failed');
    const handlers = { start: () => {}, end: () => {}, asyncStart: () => {}, asyncEnd: () => {}, error: () => {} };
    channels.command.subscribe(handlers);
    try {
      expect(await outcome()).toBe('rejected: keys failed');
    } finally {
      channels.command.unsubscribe(handlers);
    }
  });

  it('is skipped by every command while nobody subscribes, and used by each once someone does', async () => {
    const client = sharedClient();
    const commands = () => [
      client.set('skip', 1),
      client.add('skip-add', 1),
      client.get('skip'),
      client.gets('skip'),
      client.gat('skip', 60),
      client.getMulti(['skip']),
      client.setMulti({ skip: 2 }),
      client.incr('skip'),
      client.touch('skip', 60),
      client.delete('skip-add'),
      client.deleteMulti(['skip-none']),
      client.version(),
      client.get('bad key').catch(() => undefined),
    ];
    const trace = vi.spyOn(channels.command, 'tracePromise');
    try {
      expect(channels.command.hasSubscribers).toBe(false);
      await Promise.all(commands());
      expect(trace).not.toHaveBeenCalled();
      const handlers = { start: () => {}, end: () => {}, asyncStart: () => {}, asyncEnd: () => {}, error: () => {} };
      channels.command.subscribe(handlers);
      try {
        await Promise.all(commands());
      } finally {
        channels.command.unsubscribe(handlers);
      }
      expect(trace).toHaveBeenCalledTimes(13);
      expect(trace.mock.calls.map(([, context]) => (context as CommandContext).command)).toEqual([
        'set',
        'add',
        'get',
        'gets',
        'gat',
        'getMulti',
        'setMulti',
        'incr',
        'touch',
        'delete',
        'deleteMulti',
        'version',
        'get',
      ]);
    } finally {
      trace.mockRestore();
    }
  });
  it('names the server of each command routed to one server, and the keys of every multi-key command', async () => {
    const a = await ownServer();
    const b = await ownServer();
    const one = track(new Client(a.address));
    const two = track(new Client([a.address, b.address], { distribution: 'ketama' }));
    const seen: string[] = [];
    const handlers = {
      start: () => {},
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (ctx: CommandContext) => {
        const key = Array.isArray(ctx.key) ? `[${ctx.key.join(',')}]` : String(ctx.key);
        seen.push(`${ctx.command} ${key} ${ctx.server === undefined ? '-' : ctx.server === a.address ? 'A' : 'B'}`);
      },
      error: () => {},
    };
    // Which server holds a key the two-server client wrote, asked of each server alone.
    const holder = async (key: string) => ((await one.get(key)) === undefined ? 'B' : 'A');
    const keys = Array.from({ length: 40 }, (_, i) => `route:${i}`);
    await two.setMulti(keys.map((key) => [key, 1] as const));
    const places = await Promise.all(keys.map(holder));
    const onA = keys.filter((_, i) => places[i] === 'A');
    const onB = keys.filter((_, i) => places[i] === 'B');
    expect(onA.length).toBeGreaterThan(1);
    expect(onB.length).toBeGreaterThan(0);
    channels.command.subscribe(handlers);
    try {
      await one.set('r', 1);
      await one.get('r');
      await one.getMulti(['r', 's']);
      // Entries read once: a generator of pairs is stored, and the trace names its keys.
      await one.setMulti(
        (function* () {
          yield ['r', 2] as const;
          yield ['s', 3] as const;
        })(),
      );
      await one.setMulti(new Map([['t', 4]]));
      await one.deleteMulti(
        (function* () {
          yield 's';
          yield 't';
        })(),
      );
      await one.version();
      await one.get('bad key').catch(() => {});
      await two.get(onB[0]!);
      await two.incr(onA[0]!);
      await two.getMulti([onA[0]!, onA[1]!]);
      await two.getMulti([onA[0]!, onB[0]!]);
      await two.setMulti({ [onB[0]!]: 5 });
      await two.version();
    } finally {
      channels.command.unsubscribe(handlers);
    }
    expect(await one.get('r')).toBe(2);
    expect(await one.get('s')).toBeUndefined();
    expect(seen).toEqual([
      'set r A',
      'get r A',
      'getMulti [r,s] A',
      'setMulti [r,s] A',
      'setMulti [t] A',
      'deleteMulti [s,t] A',
      'version undefined A',
      // Refused before it was routed: no server.
      'get bad key -',
      `get ${onB[0]} B`,
      `incr ${onA[0]} A`,
      `getMulti [${onA[0]},${onA[1]}] A`,
      // Spread over both servers: no one server to name.
      `getMulti [${onA[0]},${onB[0]}] -`,
      `setMulti [${onB[0]}] B`,
      'version undefined -',
    ]);
  });

  it('names the server of a command that failed to reach it', async () => {
    const client = track(new Client('127.0.0.1:9', { retryTimeoutMs: 0 }));
    const servers: (string | undefined)[] = [];
    const handlers = {
      start: () => {},
      end: () => {},
      asyncStart: () => {},
      asyncEnd: () => {},
      error: (ctx: CommandContext) => servers.push(ctx.server),
    };
    channels.command.subscribe(handlers);
    try {
      await expect(client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
      await expect(client.setMulti({ k: 1, l: 2 })).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    } finally {
      channels.command.unsubscribe(handlers);
    }
    expect(servers).toEqual(['127.0.0.1:9', '127.0.0.1:9']);
  });
});

describe('events', () => {
  it("emits connect, disconnect, reconnect and error; an 'error' with no listener never throws", async () => {
    const server = await ownServer();
    const address = server.address;
    const quiet = track(new Client(address, { retryTimeoutMs: 0 }));
    const observed = track(new Client(address, { retryTimeoutMs: 0 }));
    const events: string[] = [];
    const record = (name: string) => (arg: unknown) =>
      events.push(`${name} ${arg instanceof Error ? (arg as Error & { code: string }).code : String(arg)}`);
    observed.on('connect', record('connect'));
    observed.on('disconnect', record('disconnect'));
    observed.on('reconnect', record('reconnect'));
    observed.on('error', record('error'));
    await Promise.all([quiet.set('a', 1), observed.set('a', 1)]);
    await server.stop();
    // Both fail; the quiet client has no 'error' listener and must not crash the process.
    await expect(quiet.get('a')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    await expect(observed.get('a')).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    expect(events[0]).toBe(`connect ${address}`);
    expect(events).toContain(`disconnect ${address}`);
    expect(events.at(-1)).toBe('error ERR_MEMCACHED_CONNECTION');
    expect(events).not.toContain(`reconnect ${address}`);
    // The server is back at the same address: the next command connects again, as a reconnect.
    await server.restart();
    expect(await observed.set('a', 2)).toBe(true);
    expect(events.at(-1)).toBe(`reconnect ${address}`);
    expect(events.filter((event) => event.startsWith('connect '))).toHaveLength(1);
  });
});
