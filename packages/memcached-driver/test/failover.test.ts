// Failover on three real memcached servers: a server killed under load fails only its own keys, fast;
// with removeFailed it leaves the ring, its keys move, and it rejoins after retryTimeoutMs; multi-key
// commands with a server down reject with every cause, or go on without it.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  Client,
  type ClientOptions,
  channelNames,
  createDistribution,
  type EjectMessage,
  type RejoinMessage,
} from '../src/index.ts';
import { parseServer } from '../src/servers.ts';
import type { TestMemcached } from '../src/testing.ts';
import { fakeServer, ownServer, rawGet, sleep, track, until } from './support.ts';

/** Three servers of this file's own; the middle one is the one that fails. */
async function ring(options: ClientOptions) {
  const servers = await Promise.all([ownServer(), ownServer(), ownServer()]);
  const addresses = servers.map((server) => server.address);
  const client = track(new Client(addresses, { distribution: 'ketama', ...options }));
  const placement = createDistribution(
    addresses.map((address) => parseServer(address)),
    'ketama',
  );
  const keys = Array.from({ length: 300 }, (_, i) => `fo:${i}`);
  const home = (key: string) => placement.serverFor(Buffer.from(key));
  const victim = servers[1]!;
  return {
    servers,
    client,
    keys,
    victim,
    victimKeys: keys.filter((key) => home(key) === 1),
    otherKeys: keys.filter((key) => home(key) !== 1),
  };
}

/** The client's events of one kind, as strings. */
function record(client: Client, ...names: ('eject' | 'rejoin' | 'partial')[]): string[] {
  const seen: string[] = [];
  for (const name of names) {
    client.on(name, (server: string, error?: Error, command?: string) => {
      seen.push([name, server, (error as { code?: string } | undefined)?.code, command].filter(Boolean).join(' '));
    });
  }
  return seen;
}

interface Failure {
  code?: string;
  server?: string;
  message: string;
}

interface Outcome {
  key: string;
  ok: boolean;
  ms: number;
  error?: Failure;
}

/**
 * Runs `workers` loops of set-then-get over `keys` until `stop()` (call it in a `finally`); records
 * every operation. Each round yields to the event loop, so loops of operations that fail at once
 * cannot starve timers.
 */
function load(client: Client, keys: readonly string[], workers = 8) {
  const outcomes: Outcome[] = [];
  let running = true;
  let n = 0;
  const one = async (key: string, op: () => Promise<unknown>) => {
    const started = performance.now();
    try {
      await op();
      outcomes.push({ key, ok: true, ms: performance.now() - started });
    } catch (error) {
      outcomes.push({ key, ok: false, ms: performance.now() - started, error: error as Failure });
    }
  };
  const loops = Array.from({ length: workers }, async () => {
    while (running && outcomes.length < 1_000_000) {
      const key = keys[n++ % keys.length]!;
      await one(key, () => client.set(key, n));
      await one(key, () => client.get(key));
      await new Promise(setImmediate);
    }
  });
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** A key that a ketama ring over `servers` places on `servers[index]`. */
function keyOn(servers: readonly string[], index: number, prefix: string): string {
  const placement = createDistribution(
    servers.map((server) => parseServer(server)),
    'ketama',
  );
  return Array.from({ length: 300 }, (_, i) => `${prefix}:${i}`).find(
    (k) => placement.serverFor(Buffer.from(k)) === index,
  )!;
}

describe('a server killed under load', () => {
  it('fails only the operations routed to it, fast, with an error naming it; the others keep working', async () => {
    const timeoutMs = 1000;
    const { client, keys, victim, victimKeys } = await ring({ timeoutMs, retryTimeoutMs: 100 });
    const traffic = load(client, keys);
    let killedAt = 0;
    try {
      await sleep(100);
      killedAt = traffic.outcomes.length;
      await victim.stop();
      await sleep(400); // across several retryTimeoutMs: refused connects and fail-fast refusals alike
    } finally {
      await traffic.stop();
    }
    const outcomes = traffic.outcomes.slice(killedAt);
    const failures = outcomes.filter((outcome) => !outcome.ok);
    const onVictim = new Set(victimKeys);
    // Every other server's keys still work; the victim's fail, and only they do.
    expect(outcomes.filter((outcome) => !onVictim.has(outcome.key)).every((outcome) => outcome.ok)).toBe(true);
    expect(failures.length).toBeGreaterThan(20);
    expect(failures.every((failure) => onVictim.has(failure.key))).toBe(true);
    for (const { error } of failures) {
      expect(error?.code).toBe('ERR_MEMCACHED_CONNECTION');
      expect(error?.server).toBe(victim.address);
      expect(error?.message).toContain(victim.address);
    }
    // Fast: a dead server is known at once, never by waiting out timeoutMs.
    expect(Math.max(...failures.map((failure) => failure.ms))).toBeLessThan(timeoutMs / 4);
  });

  it('a server that stops answering fails its operations by timeoutMs with a TimeoutError naming it', async () => {
    const { client, victim, victimKeys, otherKeys } = await ring({ timeoutMs: 200, retryTimeoutMs: 1000 });
    await client.set(victimKeys[0]!, 1);
    await victim.pause();
    try {
      const started = Date.now();
      const [dead, alive] = await Promise.allSettled([client.get(victimKeys[0]!), client.set(otherKeys[0]!, 1)]);
      expect(dead).toMatchObject({
        status: 'rejected',
        reason: { code: 'ERR_MEMCACHED_TIMEOUT', server: victim.address },
      });
      expect((dead as PromiseRejectedResult).reason.message).toContain(victim.address);
      expect(alive).toEqual({ status: 'fulfilled', value: true });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      victim.resume();
    }
  });
});

describe('removeFailed', () => {
  it("ejects the dead server once ('eject' event and channel), and its keys move to the others", async () => {
    const { client, keys, victim, victimKeys } = await ring({ removeFailed: 1, retryTimeoutMs: 10_000 });
    const events = record(client, 'eject', 'rejoin');
    const messages: EjectMessage[] = [];
    const onEject = (message: unknown) => messages.push(message as EjectMessage);
    subscribe(channelNames.eject, onEject);
    try {
      const traffic = load(client, keys);
      let ejectedAt = 0;
      try {
        await sleep(100);
        await victim.stop();
        await until(() => events.length > 0, 2000);
        ejectedAt = traffic.outcomes.length;
        await sleep(200);
      } finally {
        await traffic.stop();
      }
      const after = traffic.outcomes.slice(ejectedAt);
      // Once ejected, every key works again: the victim's now live on the other two servers.
      expect(after.filter((outcome) => victimKeys.includes(outcome.key)).length).toBeGreaterThan(10);
      expect(after.every((outcome) => outcome.ok)).toBe(true);
    } finally {
      unsubscribe(channelNames.eject, onEject);
    }
    expect(events).toEqual([`eject ${victim.address} ERR_MEMCACHED_CONNECTION`]);
    const mine = messages.filter((message) => message.server === victim.address);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.retryAt).toBeGreaterThan(Date.now());
    expect(await client.setMulti(victimKeys.map((key) => [key, 'moved'] as const))).toEqual([]);
    expect((await client.getMulti(victimKeys)).size).toBe(victimKeys.length);
  });

  it("probes an ejected server after retryTimeoutMs and rejoins it once it answers ('rejoin' once)", async () => {
    const retryTimeoutMs = 300;
    const { client, victim, victimKeys } = await ring({ removeFailed: 1, retryTimeoutMs, timeoutMs: 200 });
    const events = record(client, 'eject', 'rejoin');
    const rejoins: RejoinMessage[] = [];
    const onRejoin = (message: unknown) => rejoins.push(message as RejoinMessage);
    subscribe(channelNames.rejoin, onRejoin);
    try {
      await client.set(victimKeys[0]!, 'home');
      await victim.stop();
      await expect(client.get(victimKeys[0]!)).rejects.toMatchObject({ server: victim.address });
      expect(events).toEqual([`eject ${victim.address} ERR_MEMCACHED_CONNECTION`]);
      // Still down at the first probe: it stays off the ring, quietly, and its keys keep working elsewhere.
      await sleep(retryTimeoutMs + 150);
      expect(events).toHaveLength(1);
      expect(await client.set(victimKeys[1]!, 'elsewhere')).toBe(true);
      // Back up: the next probe finds it, and its keys go home.
      await victim.restart();
      await until(() => events.length === 2, retryTimeoutMs * 3);
      expect(events[1]).toBe(`rejoin ${victim.address}`);
      expect(await client.set(victimKeys[2]!, 'home again')).toBe(true);
      expect(await rawGet(victim.address, victimKeys[2]!)).toMatchObject({ flags: 16 });
      await sleep(retryTimeoutMs + 50);
      expect(events).toHaveLength(2);
    } finally {
      unsubscribe(channelNames.rejoin, onRejoin);
    }
    const mine = rejoins.filter((message) => message.server === victim.address);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.downMs).toBeGreaterThanOrEqual(retryTimeoutMs * 2 - 50);
  });

  it('counts timeouts in a row: a frozen server whose kernel still accepts connections is ejected', async () => {
    const { client, victim, victimKeys, otherKeys } = await ring({
      removeFailed: 2,
      timeoutMs: 150,
      retryTimeoutMs: 50,
    });
    const events = record(client, 'eject');
    await client.set(victimKeys[0]!, 1);
    await victim.pause();
    try {
      await expect(client.get(victimKeys[0]!)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_TIMEOUT' });
      await sleep(60);
      // The reconnect succeeds (the listen backlog accepts it) but proves nothing: this is failure 2.
      await expect(client.get(victimKeys[0]!)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_TIMEOUT' });
      expect(events).toEqual([`eject ${victim.address} ERR_MEMCACHED_TIMEOUT`]);
      expect(await client.get(victimKeys[0]!)).toBeUndefined(); // now asked of another server
      expect(await client.set(otherKeys[0]!, 2)).toBe(true);
    } finally {
      victim.resume();
    }
  });
});

describe('removeFailed against a server that fails in a pattern', () => {
  it('leaves a server ejected for a dropped connection alone until its probe, server-wide commands too', async () => {
    const healthy = await ownServer();
    // Drops each connection as soon as a command arrives: a reset with an operation in flight.
    const dropper = await fakeServer((_, socket) => socket.destroy());
    let connections = 0;
    dropper.server.on('connection', () => connections++);
    const servers = [healthy.address, dropper.address];
    const key = keyOn(servers, 1, 'dr');
    const client = track(new Client(servers, { distribution: 'ketama', removeFailed: 1, retryTimeoutMs: 10_000 }));
    const events = record(client, 'eject');
    client.on('error', () => {});
    await expect(client.get(key)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION' });
    expect(events).toEqual([`eject ${dropper.address} ERR_MEMCACHED_CONNECTION`]);
    expect(connections).toBe(1);
    await expect(client.stats()).rejects.toMatchObject({ code: 'ERR_MEMCACHED_CONNECTION', server: dropper.address });
    await sleep(50);
    expect(connections).toBe(1);
  });

  it('ejects a server that answers the first command on every new connection and then stalls', async () => {
    const [a, b] = await Promise.all([ownServer(), ownServer()]);
    // Each new connection gets one reply; everything after it waits forever.
    const answered = new WeakSet<object>();
    const staller = await fakeServer((_, socket) => {
      if (answered.has(socket)) return;
      answered.add(socket);
      socket.write('END\r\n');
    });
    const servers = [a.address, staller.address, b.address];
    const key = keyOn(servers, 1, 'st');
    const client = track(
      new Client(servers, { distribution: 'ketama', removeFailed: 2, timeoutMs: 100, retryTimeoutMs: 50 }),
    );
    const events = record(client, 'eject');
    client.on('error', () => {});
    const outcomes: string[] = [];
    const started = Date.now();
    // Each round waits out retryTimeoutMs, so every get that reaches the staller does so on a new socket
    // or right after its one answer: answer, stall (a timeout), reconnect, answer, stall...
    while (events.length === 0 && Date.now() - started < 5_000) {
      outcomes.push(
        await client.get(key).then(
          () => 'answered',
          (error: { code: string }) => error.code,
        ),
      );
      await sleep(60);
    }
    expect(outcomes).toContain('answered');
    expect(outcomes.filter((outcome) => outcome === 'ERR_MEMCACHED_TIMEOUT').length).toBeGreaterThanOrEqual(2);
    expect(events).toEqual([`eject ${staller.address} ERR_MEMCACHED_TIMEOUT`]);
    // Off the ring: its keys go to the healthy servers.
    expect(await client.set(key, 'moved')).toBe(true);
    expect(await client.get(key)).toBe('moved');
  });

  it('a connection that keeps answering for longer than timeoutMs ends the failure streak', async () => {
    const { client, victim, victimKeys } = await ring({ removeFailed: 2, timeoutMs: 150, retryTimeoutMs: 50 });
    const events = record(client, 'eject');
    client.on('error', () => {});
    await client.set(victimKeys[0]!, 1);
    // Failure 1: a timeout.
    await victim.pause();
    try {
      await expect(client.get(victimKeys[0]!)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_TIMEOUT' });
    } finally {
      victim.resume();
    }
    await sleep(60);
    // The server works again, and its new connection proves it over more than timeoutMs.
    for (let i = 0; i < 5; i++) {
      expect(await client.get(victimKeys[0]!)).toBe(1);
      await sleep(50);
    }
    // A single later timeout is failure 1 of a new streak, not failure 2.
    await victim.pause();
    try {
      await expect(client.get(victimKeys[0]!)).rejects.toMatchObject({ code: 'ERR_MEMCACHED_TIMEOUT' });
    } finally {
      victim.resume();
    }
    expect(events).toEqual([]);
  });
});

describe('multi-key commands with a server down', () => {
  /** Three servers with every key set, then the victim (and `more`) killed. */
  async function downed(options: ClientOptions, more = false) {
    const setup = await ring({ timeoutMs: 500, retryTimeoutMs: 10_000, ...options });
    expect(await setup.client.setMulti(setup.keys.map((key) => [key, key] as const))).toEqual([]);
    const dead: TestMemcached[] = more ? [setup.victim, setup.servers[2]!] : [setup.victim];
    await Promise.all(dead.map((server) => server.stop()));
    return { ...setup, dead: dead.map((server) => server.address) };
  }

  it('without removeFailed, getMulti rejects with ERR_MEMCACHED_SERVERS_FAILED listing each server and its cause', async () => {
    const { client, keys, dead } = await downed({}, true);
    for (let attempt = 0; attempt < 3; attempt++) {
      // The first call finds the servers gone; later ones are refused at once (retryTimeoutMs) or find
      // them gone again, and the healthy server is asked all the same: every failure is listed, every time.
      const error = await client.getMulti(keys).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toMatchObject({ code: 'ERR_MEMCACHED_SERVERS_FAILED', command: 'getMulti' });
      const { servers, errors, message } = error as { servers: string[]; errors: Error[]; message: string };
      expect([...servers].sort()).toEqual([...dead].sort());
      expect(errors.map((cause) => (cause as { code?: string }).code)).toEqual([
        'ERR_MEMCACHED_CONNECTION',
        'ERR_MEMCACHED_CONNECTION',
      ]);
      expect(errors.map((cause) => (cause as { server?: string }).server)).toEqual(servers);
      for (const server of dead) expect(message).toContain(server);
    }
  });

  it("with removeFailed, getMulti resolves the healthy servers' hits, the rest as misses, and 'partial' reports the failure", async () => {
    const { client, keys, victim, otherKeys } = await downed({ removeFailed: 3 });
    const events = record(client, 'partial', 'eject');
    const hits = await client.getMulti(keys);
    expect([...hits.keys()].sort()).toEqual([...otherKeys].sort());
    expect(events).toEqual([`partial ${victim.address} ERR_MEMCACHED_CONNECTION getMulti`]);
    // Within retryTimeoutMs the server is refused at once: the same partial result, reported again.
    expect((await client.getMulti(keys)).size).toBe(otherKeys.length);
    expect(events).toHaveLength(2);
  });

  it("without removeFailed, setMulti and deleteMulti reject listing the dead server; the healthy servers' share is done", async () => {
    const { client, victim, victimKeys, otherKeys } = await downed({});
    const both = [victimKeys[0]!, otherKeys[0]!];
    await expect(client.setMulti(both.map((key) => [key, 'new'] as const))).rejects.toMatchObject({
      code: 'ERR_MEMCACHED_SERVERS_FAILED',
      command: 'setMulti',
      servers: [victim.address],
    });
    expect(await client.get(otherKeys[0]!)).toBe('new');
    await expect(client.deleteMulti(both)).rejects.toMatchObject({
      code: 'ERR_MEMCACHED_SERVERS_FAILED',
      command: 'deleteMulti',
      servers: [victim.address],
    });
    expect(await client.get(otherKeys[0]!)).toBeUndefined();
  });

  it("with removeFailed, setMulti returns the dead server's keys as not stored and deleteMulti resolves false", async () => {
    const { client, victim, victimKeys, otherKeys } = await downed({ removeFailed: 5 });
    const events = record(client, 'partial');
    const mixed = [otherKeys[0]!, victimKeys[0]!, otherKeys[1]!, victimKeys[1]!];
    expect(await client.setMulti(mixed.map((key) => [key, 'new'] as const))).toEqual([victimKeys[0], victimKeys[1]]);
    expect(await client.get(otherKeys[1]!)).toBe('new');
    expect(await client.deleteMulti(mixed)).toBe(false);
    expect(await client.get(otherKeys[0]!)).toBeUndefined();
    expect(await client.deleteMulti([otherKeys[2]!])).toBe(true);
    expect(events).toEqual([
      `partial ${victim.address} ERR_MEMCACHED_CONNECTION setMulti`,
      `partial ${victim.address} ERR_MEMCACHED_CONNECTION deleteMulti`,
    ]);
  });

  it("with removeFailed, a share sent to the dead server and failed there counts the same (a fresh client's connect is refused)", async () => {
    const { servers, victim, victimKeys, otherKeys } = await downed({});
    const options = { distribution: 'ketama', removeFailed: 5, retryTimeoutMs: 0 } as const;
    const fresh = track(
      new Client(
        servers.map((server) => server.address),
        options,
      ),
    );
    const events = record(fresh, 'partial');
    const mixed = [otherKeys[0]!, victimKeys[0]!];
    expect(await fresh.deleteMulti(mixed)).toBe(false);
    expect(await fresh.setMulti(mixed.map((key) => [key, 'x'] as const))).toEqual([victimKeys[0]]);
    expect(events).toEqual([
      `partial ${victim.address} ERR_MEMCACHED_CONNECTION deleteMulti`,
      `partial ${victim.address} ERR_MEMCACHED_CONNECTION setMulti`,
    ]);
  });
});
