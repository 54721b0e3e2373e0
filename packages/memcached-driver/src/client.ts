import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import type { Clonable } from '@clonepool/core';
import { abortable } from './abort.js';
import {
  casToken,
  delta as checkDelta,
  checkKeys,
  commandSignal,
  counterOptions,
  entryPairs,
  exptime,
  keyList,
  pair,
  type ReadEntries,
  readEntries,
  statsSubcommand,
  verbosityLevel,
  writeOptions,
} from './arguments.js';
import type { CommandWriter, StoreCommand } from './commands.js';
import type { Connection } from './connection.js';
import { routed, type TopologyChange, trace, tracing } from './diagnostics.js';
import { AppendUnsupportedError, ClientClosedError } from './errors.js';
import { Fanout } from './fanout.js';
import { Fleet } from './fleet.js';
import { type GetOrSetFactory, type GetOrSetOptions, type InvalidateOptions, Refresher } from './get-or-set.js';
import { type Key, keyBytes } from './keys.js';
import { BatchOp, Op } from './ops.js';
import type { ClientOptions } from './options.js';
import type { ServerStats } from './server-stats.js';
import { parseServers } from './servers.js';
import { Topology } from './topology.js';
import { type Encoded, encodeRaw, encodeValue, type Value } from './values.js';

/**
 * Servers as pylibmc spells them: one spec, a comma-separated list, or an array.
 *
 * @example
 * ```ts
 * import { Client, type ServerList } from '@clonepool/memcached';
 *
 * const servers: ServerList = ['10.0.0.1', '10.0.0.2:11212:2', '/run/memcached.sock'];
 * console.log(new Client(servers, { distribution: 'ketama' }).servers.join(' '));
 * // → 10.0.0.1:11211 10.0.0.2:11212 /run/memcached.sock
 * ```
 */
export type ServerList = string | readonly string[];

/**
 * The options every command that waits for a reply takes (`get`, `delete`, `getMulti`,
 * `stats`, …): a `signal` of its own. Unknown option names are refused with
 * `ERR_INVALID_ARG_VALUE` before anything is sent.
 *
 * @example
 * ```ts
 * import { Client, type CommandOptions } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:report', 'ready');
 * // Give up on a read after 50 ms, whatever the client's timeoutMs.
 * const options: CommandOptions = { signal: AbortSignal.timeout(50) };
 * console.log(await client.get('doc:report', options));
 * const aborted: CommandOptions = { signal: AbortSignal.abort('the request went away') };
 * await client.get('doc:report', aborted).catch((error) => console.log(error.code, error.cause));
 * await client.close();
 * // → ready
 * // → ERR_MEMCACHED_ABORTED the request went away
 * ```
 */
export interface CommandOptions {
  /**
   * Aborts the command: its promise rejects at once with `ERR_MEMCACHED_ABORTED`
   * (`OperationAbortedError`, whose `cause` is `signal.reason`). A signal that has
   * aborted already rejects before anything is sent. A command already sent still
   * reaches the server and may still take effect (a `set` may store, an `incr`
   * count): its reply is read and dropped, and the connection stays open and in
   * step. One signal may serve any number of commands at once (a request's, say):
   * it holds one listener, removed when the last of them settles.
   */
  readonly signal?: AbortSignal;
}

/**
 * Options of a write (`set`, `add`, `replace`, `append`, `prepend`, `cas`, `setMulti`).
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:short-lived', 'x', { ttl: 30 });
 * // Fire and forget: resolves true once queued, whatever the server says.
 * console.log(await client.set('doc:metrics', 1, { noreply: true }));
 * await client.close();
 * // → true
 * ```
 */
export interface WriteOptions extends CommandOptions {
  /**
   * Seconds until the item expires; `0` means never. Up to 30 days
   * (2592000 s) it is sent as it is; above that, as the Unix time now + `ttl`,
   * since memcached reads so large a number as a time (so such a TTL depends
   * on the server's clock agreeing with this host's). A TTL that would end
   * after 2^31−1 (January 2038, memcached's limit) rejects with
   * `ERR_INVALID_ARG_VALUE` before anything is sent.
   * @default 0
   */
  readonly ttl?: number;
  /**
   * Sends the command with `noreply`: the promise resolves `true` as soon as the
   * command is queued, and the outcome (stored, not stored, an error) is never
   * known. Use it for fire-and-forget writes only.
   * @default false
   */
  readonly noreply?: boolean;
}

/**
 * Options of `incr` and `decr`.
 *
 * @example
 * ```ts
 * import { Client, type CounterOptions } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:bytes-served', 2 ** 53);
 * const exact: CounterOptions = { bigint: true };
 * console.log(await client.incr('doc:bytes-served', 1500, exact));
 * await client.close();
 * // → 9007199254742492n
 * ```
 */
export interface CounterOptions extends CommandOptions {
  /**
   * Resolves the new value as a `bigint`, exact up to 2^64−1. Without it the value is a
   * `number`, and a counter above `Number.MAX_SAFE_INTEGER` rejects with
   * `ERR_MEMCACHED_COUNTER_UNSAFE` (after the server counted it; the error holds the value).
   * @default false
   */
  readonly bigint?: boolean;
}

/**
 * A value with its CAS token, as `gets` and `gats` return it.
 *
 * @example
 * ```ts
 * import { type CasItem, Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:stock', 5);
 * // Optimistic update: retry until no one else wrote in between.
 * for (;;) {
 *   const item: CasItem<number> | undefined = await client.gets<number>('doc:stock');
 *   if (item === undefined || (await client.cas('doc:stock', item.value - 1, item.cas))) break;
 * }
 * console.log(await client.get('doc:stock'));
 * await client.close();
 * // → 4
 * ```
 */
export interface CasItem<V = Value> {
  /** The stored value. */
  readonly value: V;
  /** The item's CAS token, for {@link Client.cas}. */
  readonly cas: bigint;
}

/**
 * How many keys one multi-get line carries at most. memcached reads any number
 * (it tokenizes 24 at a time), but a long line delays the first reply and some
 * proxies cap line length; 100 keys of 250 bytes is still only ~25 KB.
 */
const MAX_KEYS_PER_GET = 100;

/**
 * The events of a {@link Client}, with their arguments. `error` is emitted only
 * while it has a listener, so an unobserved client never crashes the process.
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * client.on('connect', (server) => console.log('connected', typeof server));
 * client.on('close', () => console.log('closed'));
 * await client.get('doc:events');
 * await client.close();
 * // → connected string
 * // → closed
 * ```
 */
export interface ClientEvents {
  /** The first connection to `server` is up. */
  connect: [server: string];
  /** A connection to `server` is up again after it dropped or failed. */
  reconnect: [server: string];
  /** The connection to `server` closed; `error` says why, `undefined` when the server just closed an idle connection. */
  disconnect: [server: string, error: Error | undefined];
  /** A connection failed (the operations on it reject as well). */
  error: [error: Error];
  /**
   * Failover (`removeFailed`) took `server` off the ring after that many
   * failures in a row; `error` is the last of them. Its keys go to the other
   * servers until it rejoins. Once per ejection.
   */
  eject: [server: string, error: Error];
  /**
   * An ejected `server` answered a probe after `retryTimeoutMs` and is back on
   * the ring: its keys are read and written there again. Once per return.
   */
  rejoin: [server: string];
  /**
   * With `removeFailed`, a multi-key command went on without `server`, whose
   * share failed with `error`: `getMulti` counts its keys as misses, `setMulti`
   * returns them as not stored, `deleteMulti` resolves `false`. Once per failed
   * server per command.
   */
  partial: [server: string, error: Error, command: MultiCommand];
  /**
   * The server list changed (`setServers`, or `discovery`), on this client and
   * every clone of its fleet; commands are routed by the new list from now on.
   */
  topology: [change: TopologyChange];
  /** `close()` finished. */
  close: [];
}

/**
 * The multi-key commands, as the `partial` event names them.
 *
 * @example
 * ```ts
 * import { Client, type MultiCommand } from '@clonepool/memcached';
 *
 * // With removeFailed, a multi-key command goes on without a failed server and says so.
 * const client = new Client([process.env.MEMCACHED_SERVER ?? 'localhost:11211', '127.0.0.1:9'], {
 *   distribution: 'ketama',
 *   removeFailed: 3,
 * });
 * client.on('partial', (server: string, _error: Error, command: MultiCommand) => console.log(command, server));
 * const hits = await client.getMulti(Array.from({ length: 50 }, (_, i) => `doc:partial:${i}`));
 * console.log(hits.size);
 * await client.close();
 * // → getMulti 127.0.0.1:9
 * // → 0
 * ```
 */
export type MultiCommand = 'getMulti' | 'setMulti' | 'deleteMulti';

/**
 * A memcached client: pylibmc's `Client` for Node, with many operations in
 * flight on one connection per server.
 *
 * Results mean what pylibmc's mean: a miss is `undefined`; `add` of an existing
 * key, `replace` of a missing one and `cas` on a changed item resolve `false`.
 * Bad input (a key, TTL, value) rejects with a typed error before anything is
 * sent. `SERVER_ERROR`/`CLIENT_ERROR` replies reject just their operation.
 *
 * Events: `connect` (server), `reconnect` (server), `disconnect` (server,
 * error or `undefined`), `close` once `close()` is done, and `error` (an
 * `Error`) — `error` is emitted only while someone listens, so an unobserved
 * client never crashes the process; the failing operations reject anyway.
 * With `removeFailed`: `eject` (server, error) when failover takes a server off
 * the ring, `rejoin` (server) when it is back, and `partial` (server, error,
 * command) when a multi-key command went on without a failed server.
 * `topology` (a {@link TopologyChange}) when the server list changes.
 *
 * A client and its clones share one server list: {@link Client.setServers}
 * and `discovery` change it for all of them at once.
 *
 * A server that refuses, resets or times out fails only the operations routed
 * to it, with a `ConnectionError` or `TimeoutError` whose `server` names it.
 * `getMulti`, `setMulti` and `deleteMulti` wait for every server's share; when
 * some failed they reject with a `ServersFailedError` listing each cause, or,
 * with `removeFailed`, resolve what the healthy servers did (see `partial`).
 *
 * @example
 * ```ts
 * import { Client } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211', { keyPrefix: 'doc:' });
 * await client.set('greeting', 'hello', { ttl: 60 });
 * console.log(await client.get('greeting'));
 * console.log(await client.get('missing'));
 * console.log(await client.add('greeting', 'again'));
 * await client.close();
 * // → hello
 * // → undefined
 * // → false
 * ```
 */
export class Client extends EventEmitter<ClientEvents> implements Clonable<Client>, AsyncDisposable {
  /** What the client shares with its clones: the options, the server list and its counters. */
  readonly #config: Fleet;
  readonly #topology: Topology;
  /**
   * The async context the client was made in. Its sockets and timers are made lazily, by
   * whatever command comes first; they are made in this context instead, so that no handle
   * keeps a caller's context (a request, a pool scope) alive.
   */
  readonly #owner = new AsyncResource('clonepool:memcached');
  /** getOrSet and invalidate, made on first use. */
  #refresher: Refresher | undefined = undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Makes a client; no connection is opened until the first command.
   *
   * @param servers - `"host"`, `"host:port"`, `"host:port:weight"`, `"[::1]:port"`
   *   or `"/path/to/memcached.sock"`, or as a URL: `"memcached://host:port"`
   *   (`memcache://` and `tcp://` too) or `"unix:///path/to/memcached.sock"`; or several (an array or a comma-separated
   *   string). Port 11211 by default. A malformed spec throws `ERR_INVALID_SERVER`.
   *   With `discovery` it may be empty (`[]`): the list then comes from the endpoint.
   * @param options - See {@link ClientOptions}; an unknown or bad option throws `ERR_INVALID_ARG_VALUE`.
   */
  constructor(servers: ServerList, options?: ClientOptions) {
    super();
    // clone() passes its Fleet through the public constructor.
    this.#config =
      (servers as unknown) instanceof Fleet ? (servers as unknown as Fleet) : new Fleet(servers, options, this.#owner);
    // Emits only while someone listens, so an 'error' nobody listens to never throws.
    const emit = <E extends keyof ClientEvents>(name: E, ...args: ClientEvents[E]) => {
      if (this.listenerCount(name) > 0) (this.emit as (name: E, ...args: ClientEvents[E]) => boolean)(name, ...args);
    };
    const events = {
      connect: (server: string, reconnect: boolean) => emit(reconnect ? 'reconnect' : 'connect', server),
      disconnect: (server: string, error: Error | undefined) => emit('disconnect', server, error),
      error: (error: Error) => emit('error', error),
      eject: (server: string, error: Error) => emit('eject', server, error),
      rejoin: (server: string) => emit('rejoin', server),
      partial: (server: string, error: Error, command: MultiCommand) => emit('partial', server, error, command),
      topology: (change: TopologyChange) => emit('topology', change),
    };
    this.#topology = new Topology(this.#config, events, this.#owner);
  }

  /** The servers, as `host:port` or socket paths, in the order given (gutter servers are not among them). */
  get servers(): readonly string[] {
    return this.#topology.servers;
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Makes a new client with the same servers and options and its own
   * connections, opened lazily: no I/O, a few microseconds. Closing one leaves
   * the other working. This is what pools fill themselves with. The clone
   * shares its master's server list: a later {@link Client.setServers} on
   * either, or a `discovery` answer, changes both.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const master = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * const clone = master.clone();
   * await clone.set('doc:clone', 'shared cache');
   * await clone.close();
   * console.log(await master.get('doc:clone'));
   * await master.close();
   * // → shared cache
   * ```
   */
  clone(): Client {
    return new Client(this.#config as unknown as ServerList);
  }

  /**
   * Replaces the server list of this client and of every client of its fleet
   * (its master and clones, so a whole pool), as a running client: commands
   * from now on are routed by the new list; commands in flight finish on the
   * connections they were sent on, and the connections to servers that left
   * close once those are done, which is when the promise resolves. Servers that
   * stay keep their connections and their failover health; on a ketama ring
   * only the keys the change must move move (about 1/(n+1) of them when an
   * n+1-th server joins). The same list again changes nothing. Emits `topology`.
   *
   * A malformed list rejects with `ERR_INVALID_SERVER`, and an empty one, or one
   * naming a gutter server, too, before anything changes. With `discovery`, the
   * endpoint's next new config version replaces this list.
   *
   * @param servers - As the constructor takes them.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const [a, b, c] = (process.env.MEMCACHED_SERVERS ?? 'localhost:11211,localhost:11212,localhost:11213').split(',');
   * const client = new Client([a!, b!], { distribution: 'ketama', keyPrefix: `doc:grow:${Date.now()}:` });
   * const pool = [client.clone(), client.clone()];
   * client.on('topology', ({ added }) => console.log('added', added.length));
   * const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
   * await client.setMulti(keys.map((key) => [key, i(key)] as const));
   * await client.setServers([a!, b!, c!]);
   * // The clones follow at once. About a third of the keys belong to the new server now, and miss there.
   * console.log(pool[0]!.servers.length);
   * const hits = (await pool[1]!.getMulti(keys)).size;
   * console.log(hits > 150 && hits < 250);
   * await Promise.all([...pool, client].map((one) => one.close()));
   * function i(key: string) {
   *   return Number(key.slice(1));
   * }
   * // → added 1
   * // → 3
   * // → true
   * ```
   */
  setServers(servers: ServerList): Promise<void> {
    try {
      if (this.#closed) throw new ClientClosedError();
      return this.#config.apply(parseServers(servers), 'setServers');
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Each server's figures, keyed by server (`host:port`), gutter servers last:
   * requests, errors, ejections, how many clients have it off their ring, and
   * reply latency percentiles. They count the requests of every client of the
   * fleet (this client and its clones), so a pool has one view; see
   * {@link ServerStats}. Reading them sends nothing.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVERS ?? 'localhost:11211,localhost:11212,localhost:11213', {
   *   distribution: 'ketama',
   * });
   * for (let i = 0; i < 100; i++) await client.get(`doc:server-stats:${i}`);
   * let ops = 0;
   * for (const [, stats] of client.serverStats()) ops += stats.ops;
   * console.log(client.serverStats().size, ops);
   * await client.close();
   * // → 3 100
   * ```
   */
  serverStats(): Map<string, ServerStats> {
    return this.#config.stats();
  }

  /** The key's bytes as latin1, once checked; throws when the client is closed. */
  #key(key: unknown): string {
    if (this.#closed) throw new ClientClosedError();
    return keyBytes(key, this.#config.options.keyPrefix.length);
  }

  /** The connection of the server that owns `bytes`, ready to take a command; throws when it cannot now. */
  #readyFor(bytes: string): Connection {
    const connection = this.#topology.connectionFor(bytes);
    routed(connection.server.label);
    const error = connection.ready();
    if (error !== undefined) throw error;
    return connection;
  }

  // ---- retrieval ----

  /**
   * Gets the value of `key`, or `undefined` on a miss.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:user', { name: 'Ada', langs: ['en'] });
   * console.log(await client.get('doc:user'));
   * await client.close();
   * // → { name: 'Ada', langs: [ 'en' ] }
   * ```
   */
  get<V = Value>(key: Key, options?: CommandOptions): Promise<V | undefined> {
    return trace('get', key, this, this.#retrieve, key, 'get', undefined, options) as Promise<V | undefined>;
  }

  /**
   * Gets the value of `key` with its CAS token, or `undefined` on a miss.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:counter', 1);
   * const item = await client.gets<number>('doc:counter');
   * if (item) console.log(item.value, typeof item.cas, await client.cas('doc:counter', item.value + 1, item.cas));
   * await client.close();
   * // → 1 bigint true
   * ```
   */
  gets<V = Value>(key: Key, options?: CommandOptions): Promise<CasItem<V> | undefined> {
    return trace('gets', key, this, this.#retrieve, key, 'gets', undefined, options) as Promise<CasItem<V> | undefined>;
  }

  /**
   * Gets the value of `key` and sets its TTL to `ttl` seconds in one round trip
   * (memcached 1.5.3+), or `undefined` on a miss.
   *
   * @param ttl - Seconds until the item expires; `0` means never. Up to 30 days
   *   (2592000 s) it is sent as it is; above that, as the Unix time now + `ttl`,
   *   since memcached reads so large a number as a time (so such a TTL depends
   *   on the server's clock agreeing with this host's). A TTL that would end
   *   after 2^31−1 (January 2038, memcached's limit) rejects with
   *   `ERR_INVALID_ARG_VALUE` before anything is sent.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:session', 'alive', { ttl: 10 });
   * console.log(await client.gat('doc:session', 3600));
   * await client.close();
   * // → alive
   * ```
   */
  gat<V = Value>(key: Key, ttl: number, options?: CommandOptions): Promise<V | undefined> {
    return trace('gat', key, this, this.#retrieve, key, 'get', ttl, options) as Promise<V | undefined>;
  }

  /**
   * As {@link Client.gat}, with the CAS token.
   *
   * @param ttl - Seconds until the item expires; `0` means never. Up to 30 days
   *   (2592000 s) it is sent as it is; above that, as the Unix time now + `ttl`,
   *   since memcached reads so large a number as a time (so such a TTL depends
   *   on the server's clock agreeing with this host's). A TTL that would end
   *   after 2^31−1 (January 2038, memcached's limit) rejects with
   *   `ERR_INVALID_ARG_VALUE` before anything is sent.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:gats', 'v');
   * console.log((await client.gats('doc:gats', 60))?.value);
   * await client.close();
   * // → v
   * ```
   */
  gats<V = Value>(key: Key, ttl: number, options?: CommandOptions): Promise<CasItem<V> | undefined> {
    return trace('gats', key, this, this.#retrieve, key, 'gets', ttl, options) as Promise<CasItem<V> | undefined>;
  }

  #retrieve(key: Key, kind: 'get' | 'gets', ttl: number | undefined, options: unknown): Promise<unknown> {
    try {
      const bytes = this.#key(key);
      const expires = ttl === undefined ? undefined : exptime(ttl, 'ttl');
      // Without options, nothing more: no signal, no closure, no listener.
      const signal = options === undefined ? undefined : retrievalSignal(options, kind, ttl);
      const reply = this.#readyFor(bytes).retrieve(kind, expires, this.#config.options.keyPrefix, bytes);
      return signal === undefined ? reply : abortable(reply, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Gets many keys at once: one `get k1 k2 …` per server (split every 100
   * keys), all pipelined. Resolves a `Map` of the hits only (as pylibmc's
   * `get_multi` returns a dict of hits), keyed by the keys as given: a
   * `Uint8Array` key is found under the same object.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.setMulti({ 'doc:a': 1, 'doc:b': 'two' });
   * const hits = await client.getMulti(['doc:a', 'doc:b', 'doc:none']);
   * console.log(hits);
   * await client.close();
   * // → Map(2) { 'doc:a' => 1, 'doc:b' => 'two' }
   * ```
   */
  getMulti<K extends Key, V = Value>(keys: Iterable<K>, options?: CommandOptions): Promise<Map<K, V>> {
    let list: Iterable<K>;
    try {
      // A generator can be read once: read it here, so that a trace names the keys the command gets.
      list = keyList(keys);
    } catch (error) {
      return Promise.reject(error);
    }
    return trace('getMulti', list as readonly K[], this, this.#getMulti, list, options) as Promise<Map<K, V>>;
  }

  #getMulti<K extends Key>(keys: Iterable<K>, options: unknown): Promise<Map<K, unknown>> {
    try {
      if (this.#closed) throw new ClientClosedError();
      checkKeys(keys);
      const signal = commandSignal(options, 'getMulti()');
      const prefix = this.#config.options.keyPrefix;
      const hits = new Map<K, unknown>();
      // Per server: the wire keys and, index for index, the keys as given. Every key is checked first.
      const fanout = new Fanout<KeyShare<K>>('getMulti', this.#topology);
      for (const key of keys) {
        const bytes = this.#key(key);
        const share = fanout.share(this.#topology.connectionFor(bytes), newKeyShare);
        share.wire.push(prefix === '' ? bytes : prefix + bytes);
        share.keys.push(key);
      }
      if (fanout.size === 0) return Promise.resolve(hits);
      fanout.send((connection, share) => {
        const { wire } = share;
        for (let first = 0; first < wire.length; first += MAX_KEYS_PER_GET) {
          const last = Math.min(first + MAX_KEYS_PER_GET, wire.length);
          connection.writer.retrieveMany('get', wire, first, last);
          fanout.expect(connection, new BatchOp(hits, wire, share.keys, first, last));
        }
      });
      // The hits of a server that failed midway stay: each was a whole value.
      const done = fanout.settle().then(() => hits);
      return signal === undefined ? done : abortable(done, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- storage ----

  /**
   * Stores `value` under `key`. Resolves `true` when stored.
   *
   * A `Buffer` or `Uint8Array` of 16 KiB or more is written to the socket from
   * your memory rather than copied (a large value is encoded once): do not change
   * it until the promise settles.
   *
   * @param options - `ttl` and `noreply`, as {@link WriteOptions} describes them: a TTL
   *   over 30 days is sent as the Unix time it ends at.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * console.log(await client.set('doc:big', 2n ** 64n, { ttl: 60 }));
   * console.log(await client.get('doc:big'));
   * await client.close();
   * // → true
   * // → 18446744073709551616n
   * ```
   */
  set(key: Key, value: unknown, options?: WriteOptions): Promise<boolean> {
    return trace('set', key, this, this.#store, 'set', key, value, options);
  }

  /**
   * Stores `value` only if `key` is not there; resolves `false` if it is.
   *
   * @param options - `ttl` and `noreply`, as {@link WriteOptions} describes them: a TTL
   *   over 30 days is sent as the Unix time it ends at.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.delete('doc:lock');
   * console.log(await client.add('doc:lock', 'me'), await client.add('doc:lock', 'you'));
   * await client.close();
   * // → true false
   * ```
   */
  add(key: Key, value: unknown, options?: WriteOptions): Promise<boolean> {
    return trace('add', key, this, this.#store, 'add', key, value, options);
  }

  /**
   * Stores `value` only if `key` is there; resolves `false` if it is not.
   *
   * @param options - `ttl` and `noreply`, as {@link WriteOptions} describes them: a TTL
   *   over 30 days is sent as the Unix time it ends at.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.delete('doc:nothing');
   * console.log(await client.replace('doc:nothing', 1));
   * await client.close();
   * // → false
   * ```
   */
  replace(key: Key, value: unknown, options?: WriteOptions): Promise<boolean> {
    return trace('replace', key, this, this.#store, 'replace', key, value, options);
  }

  /**
   * Appends `data` to an existing item's data; `false` if the item is missing.
   *
   * memcached adds the bytes to what is stored and keeps the item's flags, so
   * append strings to items stored as strings and bytes to items stored as
   * bytes. `data` is a string (sent as its UTF-8 bytes) or a `Uint8Array`, sent
   * as it is: never compressed nor flagged. Other types reject with
   * `ERR_INVALID_VALUE`, a chunk over `maxValueBytes` with `ERR_VALUE_TOO_LARGE`.
   *
   * On a client with `compressionThreshold` above 0 it rejects with
   * `ERR_APPEND_UNSUPPORTED` before sending: an item that client stored may be
   * compressed, and bytes added to zlib data corrupt it (the client cannot know
   * without a read). Append with a client that does not compress. An item that
   * was compressed (by any client) and then appended to rejects on read with
   * `ERR_INVALID_VALUE` rather than returning part of it.
   *
   * @param options - `ttl` and `noreply`, as {@link WriteOptions} describes them: a TTL
   *   over 30 days is sent as the Unix time it ends at.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:log', 'a');
   * await client.append('doc:log', 'b');
   * await client.prepend('doc:log', '>');
   * console.log(await client.get('doc:log'));
   * await client.close();
   * // → >ab
   * ```
   */
  append(key: Key, data: string | Uint8Array, options?: WriteOptions): Promise<boolean> {
    return trace('append', key, this, this.#store, 'append', key, data, options);
  }

  /**
   * Prepends `data` to an existing item's data; `false` if the item is missing.
   * It takes what {@link Client.append} takes, and is refused where it is:
   * a string or bytes, sent as they are, on a client without `compressionThreshold`.
   *
   * @param options - `ttl` and `noreply`, as {@link WriteOptions} describes them: a TTL
   *   over 30 days is sent as the Unix time it ends at.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.delete('doc:absent');
   * console.log(await client.prepend('doc:absent', 'x'));
   * await client.close();
   * // → false
   * ```
   */
  prepend(key: Key, data: string | Uint8Array, options?: WriteOptions): Promise<boolean> {
    return trace('prepend', key, this, this.#store, 'prepend', key, data, options);
  }

  /**
   * Stores `value` only if the item still has the CAS token `cas` (from
   * {@link Client.gets}); resolves `false` if it changed or is gone.
   *
   * @param options - `ttl` and `noreply`, as {@link WriteOptions} describes them: a TTL
   *   over 30 days is sent as the Unix time it ends at.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:cas', 'v1');
   * const item = await client.gets('doc:cas');
   * await client.set('doc:cas', 'v2');
   * console.log(await client.cas('doc:cas', 'v3', item!.cas));
   * await client.close();
   * // → false
   * ```
   */
  cas(key: Key, value: unknown, cas: bigint, options?: WriteOptions): Promise<boolean> {
    return trace('cas', key, this, this.#cas, key, value, cas, options);
  }

  #cas(key: Key, value: unknown, cas: bigint, options: unknown): Promise<boolean> {
    return this.#store('cas', key, value, options, cas);
  }

  /** A store command; for `cas`, `cas` is the token as the caller gave it. */
  #store(command: StoreCommand, key: Key, value: unknown, options: unknown, cas?: bigint): Promise<boolean> {
    try {
      const bytes = this.#key(key);
      const { ttl, noreply, signal } = writeOptions(options, WHERE[command]);
      if (command === 'cas') cas = casToken(cas);
      const settings = this.#config.options;
      let encoded: Encoded;
      if (command === 'append' || command === 'prepend') {
        if (settings.compressionThreshold > 0) throw new AppendUnsupportedError(command, settings.compressionThreshold);
        encoded = encodeRaw(value, settings.maxValueBytes);
      } else {
        encoded = encodeValue(value, settings);
      }
      const connection = this.#readyFor(bytes);
      connection.writer.store(command, settings.keyPrefix, bytes, encoded, ttl, cas, noreply);
      if (noreply) {
        connection.sendNoReply();
        return Promise.resolve(true);
      }
      const reply = connection.send(new Op('store')) as Promise<boolean>;
      return signal === undefined ? reply : abortable(reply, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stores many items, pipelined. Resolves the keys that were not stored (an
   * empty array when all were), as pylibmc's `set_multi` returns them. Every key
   * and value is checked before anything is sent.
   *
   * @param entries - A `Map`, an iterable of `[key, value]` pairs, or a plain object.
   * @param options - `ttl` and `noreply`, as {@link WriteOptions} describes them: a TTL
   *   over 30 days is sent as the Unix time it ends at.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * console.log(await client.setMulti(new Map([['doc:m1', 1], ['doc:m2', 2]]), { ttl: 60 }));
   * await client.close();
   * // → []
   * ```
   */
  setMulti<K extends Key>(
    entries: Iterable<readonly [K, unknown]> | Readonly<Record<string, unknown>>,
    options?: WriteOptions,
  ): Promise<K[]> {
    if (!tracing()) return this.#setMulti(entries, options);
    let read: ReadEntries<K>;
    try {
      // Entries can be read once (a generator): read them here, so that the trace names the keys the command sets.
      read = readEntries<K>(entries);
    } catch (error) {
      return Promise.reject(error);
    }
    return trace('setMulti', read.keys, this, this.#setMulti, read.pairs, options) as Promise<K[]>;
  }

  #setMulti<K extends Key>(
    entries: Iterable<readonly [K, unknown]> | Readonly<Record<string, unknown>>,
    options: WriteOptions | undefined,
  ): Promise<K[]> {
    try {
      if (this.#closed) throw new ClientClosedError();
      const pairs = entryPairs<K>(entries);
      const { ttl, noreply, signal } = writeOptions(options, 'setMulti()');
      const settings = this.#config.options;
      // Every key and value is checked and encoded before anything is sent.
      const keys: K[] = [];
      const fanout = new Fanout<SetItem[]>('setMulti', this.#topology);
      for (const entry of pairs) {
        const [key, value] = pair<K>(entry);
        const bytes = this.#key(key);
        const item = { index: keys.length, bytes, encoded: encodeValue(value, settings) };
        fanout.share(this.#topology.connectionFor(bytes), newList<SetItem>).push(item);
        keys.push(key);
      }
      /** Whether each item was stored; an item whose server failed stays false. */
      const stored: boolean[] = new Array(keys.length).fill(false);
      const sent: number[] = [];
      fanout.send((connection, items) => {
        for (const { index, bytes, encoded } of items) {
          connection.writer.store('set', settings.keyPrefix, bytes, encoded, ttl, undefined, noreply);
          if (noreply) {
            connection.sendNoReply();
            stored[index] = true;
          } else {
            fanout.expect(connection, new Op('store'));
            sent.push(index);
          }
        }
      });
      const notStored = () => keys.filter((_, i) => !stored[i]);
      if (noreply) {
        fanout.report();
        return Promise.resolve(notStored());
      }
      const done = fanout.settle().then((replies) => {
        for (let j = 0; j < sent.length; j++) stored[sent[j]!] = replies[j] === true;
        return notStored();
      });
      return signal === undefined ? done : abortable(done, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- stampede control ----

  /**
   * Returns the cached value of `key`, or runs `factory` and stores what it returns for
   * `ttl` seconds, with one refresh at a time across every process and client that share
   * the server (memcached 1.6+, meta protocol).
   *
   * - **One refresh**: when the value is missing or due (`ttl` passed), memcached hands the
   *   right to refresh it to one caller; that caller's factory runs, and no other's.
   * - **Stale while revalidate**: for `grace` seconds after `ttl`, every other caller is
   *   served the old value at once while the refresh runs.
   * - **Nothing to serve**: the other callers wait for the refresher's value, polling with
   *   backoff, for at most `waitMs` (`ERR_MEMCACHED_WAIT_TIMEOUT`). If the refresher dies,
   *   the next caller takes over once `lockTtl` has passed.
   * - **In one process**: concurrent calls for the key (from this client and its clones)
   *   share one request and one factory run, with the first call's factory and options.
   * - **Factory errors** reject the refresher's call (and those sharing it) and give the
   *   right back at once, so another caller can refresh without waiting for `lockTtl`; the
   *   old value is kept, not overwritten.
   *
   * The value is stored with the client's encodings and flags, so `get` and pylibmc read
   * it. A refreshed value is stored only if the item is still the one the refresher won:
   * after an {@link Client.invalidate} (or a `set`) meanwhile, it is returned but not stored.
   * Bad input rejects before anything is sent, as for `set`: the key, `ttl`, the other
   * options (unknown names too), a factory that is not a function.
   *
   * One ambiguity: while a key is missing, memcached holds an empty item with flags 0 as
   * the refresher's placeholder, so a plain `get` of the key then returns an empty
   * `Buffer`; and an empty byte value (`Buffer.alloc(0)`) looks like that placeholder while
   * it is being refreshed: the other callers wait for the new value instead of being served
   * the empty one, and the factory's `stale` is `undefined`.
   *
   * @param factory - Computes the value; gets `{ signal, stale }` ({@link RefreshContext}).
   * @param options - `ttl`, and `grace`, `lockTtl`, `waitMs`, `signal` ({@link GetOrSetOptions}).
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.delete('doc:user:42');
   * let queries = 0;
   * const loadUser = async () => {
   *   queries++;
   *   await new Promise((resolve) => setTimeout(resolve, 50)); // a slow query
   *   return { id: 42, name: 'Ada' };
   * };
   * // Ten calls at once, and a clone's (as another process's would be): one query.
   * const clone = client.clone();
   * const calls = Array.from({ length: 10 }, () => client.getOrSet('doc:user:42', loadUser, { ttl: 300, grace: 60 }));
   * calls.push(clone.getOrSet('doc:user:42', loadUser, { ttl: 300, grace: 60 }));
   * const users = await Promise.all(calls);
   * console.log(users[10], queries);
   * await Promise.all([client.close(), clone.close()]);
   * // → { id: 42, name: 'Ada' } 1
   * ```
   */
  getOrSet<V = Value>(key: Key, factory: GetOrSetFactory<V>, options: GetOrSetOptions): Promise<V> {
    return trace('getOrSet', key, this, this.#getOrSet, key, factory, options) as Promise<V>;
  }

  #getOrSet(key: Key, factory: unknown, options: unknown): Promise<unknown> {
    return this.#refresh().getOrSet(key, factory, options);
  }

  /**
   * Marks the value of `key` stale instead of deleting it (`md … I`): `getOrSet` callers
   * keep being served it for `grace` seconds while one of them refreshes it. The safe way to
   * react to a write in the database: no herd, and a refresh that read the database before
   * the write is not stored. Resolves `false` if the key was not there.
   *
   * `grace` omitted keeps the item's remaining TTL; `0` deletes the item. A plain `get`
   * still returns a stale value: only `getOrSet` knows it is stale.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.delete('doc:price');
   * console.log(await client.getOrSet('doc:price', () => 10, { ttl: 300 }));
   * // The price changed in the database: the next getOrSet refreshes it.
   * console.log(await client.invalidate('doc:price', { grace: 30 }));
   * console.log(await client.getOrSet('doc:price', () => 12, { ttl: 300 }));
   * await client.close();
   * // → 10
   * // → true
   * // → 12
   * ```
   */
  invalidate(key: Key, options?: InvalidateOptions): Promise<boolean> {
    return trace('invalidate', key, this, this.#invalidate, key, options);
  }

  #invalidate(key: Key, options: InvalidateOptions | undefined): Promise<boolean> {
    return this.#refresh().invalidate(key, options);
  }

  #refresh(): Refresher {
    this.#refresher ??= new Refresher(this.#config.flights, this.#config.options, (bytes) => this.#readyFor(bytes));
    return this.#refresher;
  }

  // ---- other keyed commands ----

  /**
   * Deletes `key`; resolves `false` if it was not there.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:gone', 1);
   * console.log(await client.delete('doc:gone'), await client.delete('doc:gone'));
   * await client.close();
   * // → true false
   * ```
   */
  delete(key: Key, options?: CommandOptions): Promise<boolean> {
    return trace('delete', key, this, this.#delete, key, options);
  }

  #delete(key: Key, options: unknown): Promise<boolean> {
    try {
      const bytes = this.#key(key);
      const signal = commandSignal(options, 'delete()');
      const connection = this.#readyFor(bytes);
      connection.writer.delete(this.#config.options.keyPrefix, bytes);
      const reply = connection.send(new Op('delete')) as Promise<boolean>;
      return signal === undefined ? reply : abortable(reply, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Deletes many keys, pipelined; resolves `true` if every one was there.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.setMulti({ 'doc:d1': 1, 'doc:d2': 2 });
   * console.log(await client.deleteMulti(['doc:d1', 'doc:d2']));
   * await client.close();
   * // → true
   * ```
   */
  deleteMulti(keys: Iterable<Key>, options?: CommandOptions): Promise<boolean> {
    let list: Iterable<Key>;
    try {
      // A generator can be read once: read it here, so that a trace names the keys the command deletes.
      list = keyList(keys);
    } catch (error) {
      return Promise.reject(error);
    }
    return trace('deleteMulti', list as readonly Key[], this, this.#deleteMulti, list, options);
  }

  #deleteMulti(keys: Iterable<Key>, options: unknown): Promise<boolean> {
    try {
      if (this.#closed) throw new ClientClosedError();
      checkKeys(keys);
      const signal = commandSignal(options, 'deleteMulti()');
      const fanout = new Fanout<string[]>('deleteMulti', this.#topology);
      let total = 0;
      for (const key of keys) {
        const bytes = this.#key(key);
        fanout.share(this.#topology.connectionFor(bytes), newList<string>).push(bytes);
        total++;
      }
      const prefix = this.#config.options.keyPrefix;
      let sent = 0;
      fanout.send((connection, share) => {
        for (const bytes of share) {
          connection.writer.delete(prefix, bytes);
          fanout.expect(connection, new Op('delete'));
          sent++;
        }
      });
      // A key on a failed server counts as not deleted.
      const done = fanout.settle().then((deleted) => sent === total && deleted.every((d) => d === true));
      return signal === undefined ? done : abortable(done, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Adds `delta` to a counter and resolves its new value, or `undefined` if the key
   * is missing. The item must hold a decimal number: store counters as integers.
   * memcached counts in 64 bits and wraps past 2^64−1.
   *
   * The value is a `number`, so `JSON.stringify({ visits })` just works. A counter
   * above `Number.MAX_SAFE_INTEGER` (2^53−1) does not fit one exactly: then the call
   * rejects with `ERR_MEMCACHED_COUNTER_UNSAFE` ({@link CounterTooLargeError}), whose
   * `value` is the exact new value as a `bigint`. The increment has already happened
   * on the server when it does. Pass `{ bigint: true }` to resolve a `bigint` always.
   *
   * @param delta - 0 to 2^64−1, as a safe-integer `number` or a `bigint`.
   * @param options - `bigint`, and `signal` ({@link CounterOptions}).
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:hits', 10);
   * const visits = await client.incr('doc:hits');
   * console.log(JSON.stringify({ visits }), await client.incr('doc:hits', 5n, { bigint: true }));
   * await client.close();
   * // → {"visits":11} 16n
   * ```
   */
  incr(
    key: Key,
    delta: number | bigint,
    options: CounterOptions & { readonly bigint: true },
  ): Promise<bigint | undefined>;
  incr(
    key: Key,
    delta?: number | bigint,
    options?: CounterOptions & { readonly bigint?: false },
  ): Promise<number | undefined>;
  incr(key: Key, delta?: number | bigint, options?: CounterOptions): Promise<number | bigint | undefined>;
  incr(key: Key, delta: number | bigint = 1, options?: CounterOptions): Promise<number | bigint | undefined> {
    return trace('incr', key, this, this.#arith, key, 'incr', delta, options);
  }

  /**
   * Subtracts `delta` from a counter, stopping at 0; resolves the new value or
   * `undefined` if the key is missing. A `number`, or with `{ bigint: true }` a
   * `bigint`, as {@link Client.incr} says.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:stock', 3);
   * console.log(await client.decr('doc:stock', 5));
   * await client.close();
   * // → 0
   * ```
   */
  decr(
    key: Key,
    delta: number | bigint,
    options: CounterOptions & { readonly bigint: true },
  ): Promise<bigint | undefined>;
  decr(
    key: Key,
    delta?: number | bigint,
    options?: CounterOptions & { readonly bigint?: false },
  ): Promise<number | undefined>;
  decr(key: Key, delta?: number | bigint, options?: CounterOptions): Promise<number | bigint | undefined>;
  decr(key: Key, delta: number | bigint = 1, options?: CounterOptions): Promise<number | bigint | undefined> {
    return trace('decr', key, this, this.#arith, key, 'decr', delta, options);
  }

  #arith(
    key: Key,
    command: 'incr' | 'decr',
    delta: number | bigint,
    options: unknown,
  ): Promise<number | bigint | undefined> {
    try {
      const bytes = this.#key(key);
      const amount = checkDelta(delta);
      const { bigint, signal } = counterOptions(options, `${command}()`);
      const connection = this.#readyFor(bytes);
      connection.writer.arith(command, this.#config.options.keyPrefix, bytes, amount);
      const reply = connection.send(new Op('arith', bigint)) as Promise<number | bigint | undefined>;
      return signal === undefined ? reply : abortable(reply, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sets the TTL of `key` to `ttl` seconds without fetching it; `false` if it is missing.
   *
   * @param ttl - Seconds until the item expires; `0` means never. Up to 30 days
   *   (2592000 s) it is sent as it is; above that, as the Unix time now + `ttl`,
   *   since memcached reads so large a number as a time (so such a TTL depends
   *   on the server's clock agreeing with this host's). A TTL that would end
   *   after 2^31−1 (January 2038, memcached's limit) rejects with
   *   `ERR_INVALID_ARG_VALUE` before anything is sent.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:touch', 1);
   * console.log(await client.touch('doc:touch', 300));
   * await client.close();
   * // → true
   * ```
   */
  touch(key: Key, ttl: number, options?: CommandOptions): Promise<boolean> {
    return trace('touch', key, this, this.#touch, key, ttl, options);
  }

  #touch(key: Key, ttl: number, options: unknown): Promise<boolean> {
    try {
      const expires = exptime(ttl, 'ttl');
      const bytes = this.#key(key);
      const signal = commandSignal(options, 'touch()');
      const connection = this.#readyFor(bytes);
      connection.writer.touch(this.#config.options.keyPrefix, bytes, expires);
      const reply = connection.send(new Op('touch')) as Promise<boolean>;
      return signal === undefined ? reply : abortable(reply, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- server-wide commands ----

  /**
   * Invalidates every item on every server, now or after `delaySeconds`.
   *
   * @param delaySeconds - Seconds until the flush; none or `0` flushes now. memcached
   *   reads it as it reads a TTL, and it is converted the same way: up to 30 days
   *   (2592000 s) it is sent as it is; above that, as the Unix time now + `delaySeconds`
   *   (so it depends on the server's clock agreeing with this host's). A delay that
   *   would end after 2^31−1 (January 2038, memcached's limit) rejects with
   *   `ERR_INVALID_ARG_VALUE` before anything is sent.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.set('doc:flushed', 1);
   * await client.flushAll();
   * console.log(await client.get('doc:flushed'));
   * await client.close();
   * // → undefined
   * ```
   */
  flushAll(delaySeconds?: number, options?: CommandOptions): Promise<void> {
    return trace('flushAll', undefined, this, this.#flushAll, delaySeconds, options);
  }

  async #flushAll(delaySeconds: number | undefined, options: unknown): Promise<void> {
    const delay = delaySeconds === undefined ? undefined : exptime(delaySeconds, 'delaySeconds');
    await everyServer(this.#live(), 'ok', (writer) => writer.flushAll(delay), options, 'flushAll()');
  }

  /**
   * Reads each server's statistics: `stats`, or a sub-command such as `'items'`,
   * `'slabs'`, `'settings'`, `'conns'`. Resolves a `Map` from server
   * (`host:port`) to its `STAT` names and values, as strings.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * for (const [, stats] of await client.stats()) console.log(typeof stats.uptime);
   * const settings = [...(await client.stats('settings')).values()][0];
   * console.log(settings?.maxconns !== undefined);
   * await client.close();
   * // → string
   * // → true
   * ```
   */
  stats(subcommand?: string, options?: CommandOptions): Promise<Map<string, Record<string, string>>> {
    return trace('stats', undefined, this, this.#stats, subcommand, options);
  }

  async #stats(subcommand: string | undefined, options: unknown): Promise<Map<string, Record<string, string>>> {
    const checked = statsSubcommand(subcommand);
    const stats = await everyServer(this.#live(), 'stats', (writer) => writer.stats(checked), options, 'stats()');
    return stats as Map<string, Record<string, string>>;
  }

  /**
   * Reads each server's version. Resolves a `Map` from server to version string.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * const versions = await client.version();
   * console.log([...versions.values()].every((v) => /^\d+\.\d+/.test(v)));
   * await client.close();
   * // → true
   * ```
   */
  version(options?: CommandOptions): Promise<Map<string, string>> {
    return trace('version', undefined, this, this.#version, options);
  }

  async #version(options: unknown): Promise<Map<string, string>> {
    const versions = await everyServer(this.#live(), 'version', (writer) => writer.version(), options, 'version()');
    return versions as Map<string, string>;
  }

  /**
   * Sets the logging level of every server (`verbosity`, 0 to 2; memcached's
   * `-v` flags).
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await client.verbosity(0);
   * console.log('quiet');
   * await client.close();
   * // → quiet
   * ```
   */
  verbosity(level: number, options?: CommandOptions): Promise<void> {
    return trace('verbosity', undefined, this, this.#verbosity, level, options);
  }

  async #verbosity(level: number, options: unknown): Promise<void> {
    const checked = verbosityLevel(level);
    await everyServer(this.#live(), 'ok', (writer) => writer.verbosity(checked), options, 'verbosity()');
  }

  /** The topology, to send a server-wide command through; throws when the client is closed. */
  #live(): Topology {
    if (this.#closed) throw new ClientClosedError();
    return this.#topology;
  }

  // ---- lifecycle ----

  /**
   * Closes the client: commands issued from now on reject with
   * `ERR_CLIENT_CLOSED`, the ones in flight finish (or fail by `timeoutMs`), then
   * the sockets close. Commands accepted before, `noreply` ones included, are
   * written first, also when their socket was still connecting. Resolves when they have; no timer or handle is left.
   * Idempotent. Clones are not affected.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * const pending = client.set('doc:closing', 'in flight');
   * await client.close();
   * console.log(await pending, client.isClosed);
   * // → true true
   * ```
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    // First, while the connections still take commands: a refresh left without callers gives its right back.
    this.#refresher?.close();
    this.#closed = true;
    this.#closing = this.#topology.close().then(() => {
      if (this.listenerCount('close') > 0) this.emit('close');
    });
    return this.#closing;
  }

  /** Alias of {@link Client.close}, as pylibmc names it. */
  quit(): Promise<void> {
    return this.close();
  }

  /** Closes the client at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Sends one command to every server of `topology` and waits for every reply; fails as soon
 * as one server fails. `options` are the command's ({@link CommandOptions}), `where` its name.
 */
async function everyServer(
  topology: Topology,
  kind: 'ok' | 'stats' | 'version',
  write: (writer: CommandWriter) => void,
  options: unknown,
  where: string,
): Promise<Map<string, unknown>> {
  const signal = commandSignal(options, where);
  const connections = topology.all();
  if (connections.length === 1) routed(connections[0]!.server.label);
  for (const connection of connections) {
    const error = connection.ready();
    if (error !== undefined) throw error;
  }
  const replies = connections.map((connection) => {
    write(connection.writer);
    return connection.send(new Op(kind));
  });
  const all = Promise.all(replies);
  const values = await (signal === undefined ? all : abortable(all, signal));
  return new Map(connections.map((connection, i) => [connection.server.label, values[i]]));
}

/** The signal of a retrieval's options, the command named as it was called (`get()`, `gat()`, …). */
function retrievalSignal(options: unknown, kind: 'get' | 'gets', ttl: number | undefined): AbortSignal | undefined {
  return commandSignal(options, `${ttl === undefined ? kind : kind === 'get' ? 'gat' : 'gats'}()`);
}

/** How an error names each store command. */
const WHERE: Readonly<Record<StoreCommand, string>> = {
  set: 'set()',
  add: 'add()',
  replace: 'replace()',
  append: 'append()',
  prepend: 'prepend()',
  cas: 'cas()',
};

/** One server's share of a multi-get: the wire keys and, index for index, the keys as the caller gave them. */
interface KeyShare<K> {
  readonly wire: string[];
  readonly keys: K[];
}

function newKeyShare<K>(): KeyShare<K> {
  return { wire: [], keys: [] };
}

/** One item of a setMulti: where it was in the entries, its key's bytes and its encoded value. */
interface SetItem {
  readonly index: number;
  readonly bytes: string;
  readonly encoded: Encoded;
}

function newList<T>(): T[] {
  return [];
}
