import { type Channel, channel, type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import type { Key } from './keys.js';

/**
 * What subscribers of the `TracingChannel` named {@link channelNames}`.command`
 * (`clonepool:memcached:command`) receive for each operation: the `start`, `end`,
 * `asyncStart`, `asyncEnd` and `error` events, with `result` or `error` filled in
 * when it settles.
 *
 * @example
 * ```ts
 * import { tracingChannel } from 'node:diagnostics_channel';
 * import { Client, type CommandContext, channelNames } from '@clonepool/memcached';
 *
 * const commands = tracingChannel<CommandContext, CommandContext>(channelNames.command);
 * const seen: string[] = [];
 * const handlers = {
 *   start: (ctx: CommandContext) => seen.push(`${ctx.command} ${String(ctx.key)}`),
 *   end: () => {},
 *   asyncStart: () => {},
 *   asyncEnd: () => {},
 *   error: () => {},
 * };
 * commands.subscribe(handlers);
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:traced', 1);
 * await client.get('doc:traced');
 * commands.unsubscribe(handlers);
 * await client.close();
 * console.log(seen.join(', '));
 * // → set doc:traced, get doc:traced
 * ```
 */
export interface CommandContext {
  /** The client method, such as `get`, `set`, `getMulti`, `stats`. */
  readonly command: string;
  /** The key or keys as the caller gave them; `undefined` for server-wide commands. */
  readonly key: Key | readonly Key[] | undefined;
  /**
   * The server the command was sent to, as `host:port` or a socket path, set
   * once the client routed it (by the `end` event): `undefined` for a command
   * spread over several servers, or refused before it was routed (a bad key).
   */
  server?: string | undefined;
  /** Set by the channel when the operation resolves. */
  result?: unknown;
  /** Set by the channel when the operation rejects. */
  error?: unknown;
}

/**
 * What subscribers of `clonepool:memcached:eject` receive: failover
 * (`removeFailed`) took `server` off a client's ring.
 *
 * @example
 * ```ts
 * import { subscribe, unsubscribe } from 'node:diagnostics_channel';
 * import { Client, channelNames, type EjectMessage } from '@clonepool/memcached';
 *
 * const onEject = (message: unknown) => {
 *   const { server, error } = message as EjectMessage;
 *   console.log('ejected', server, (error as Error & { code: string }).code);
 * };
 * subscribe(channelNames.eject, onEject);
 * // Nothing listens on port 9: its keys fail once, then go to the other server.
 * const client = new Client([process.env.MEMCACHED_SERVER ?? 'localhost:11211', '127.0.0.1:9'], {
 *   distribution: 'ketama',
 *   removeFailed: 1,
 * });
 * const keys = Array.from({ length: 50 }, (_, i) => `doc:eject:${i}`);
 * console.log((await client.setMulti(keys.map((key) => [key, 1] as const))).length > 0);
 * console.log(await client.setMulti(keys.map((key) => [key, 1] as const)));
 * unsubscribe(channelNames.eject, onEject);
 * await client.close();
 * // → ejected 127.0.0.1:9 ERR_MEMCACHED_CONNECTION
 * // → true
 * // → []
 * ```
 */
export interface EjectMessage {
  /** The server, as `host:port` or a socket path. */
  readonly server: string;
  /** The last of the failures in a row that ejected it. */
  readonly error: Error;
  /** When (ms since the epoch) the client first tries it again: now + `retryTimeoutMs`. */
  readonly retryAt: number;
}

/**
 * What subscribers of `clonepool:memcached:rejoin` receive: an ejected
 * `server` answered again after `retryTimeoutMs` and is back on the client's ring.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { Client, channelNames, type RejoinMessage } from '@clonepool/memcached';
 * import { startMemcached } from '@clonepool/memcached/testing';
 *
 * const [a, b] = await Promise.all([startMemcached(), startMemcached()]);
 * subscribe(channelNames.rejoin, (message) => {
 *   const { server, downMs } = message as RejoinMessage;
 *   console.log('rejoined', server === b.address, downMs >= 100);
 * });
 * const client = new Client([a.address, b.address], { distribution: 'ketama', removeFailed: 1, retryTimeoutMs: 100 });
 * await b.stop();
 * // (events.once would also listen for 'error', and reject on the first failed operation)
 * const ejected = new Promise((resolve) => client.once('eject', resolve));
 * await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.get(`k${i}`)));
 * await ejected;
 * await b.restart(); // back at the same address: the next probe finds it
 * let back = false;
 * client.once('rejoin', () => {
 *   back = true;
 * });
 * // The probe's timer is unref'd (it never holds a process open): wait on a timer of our own.
 * while (!back) await new Promise((resolve) => setTimeout(resolve, 20));
 * await client.close();
 * await Promise.all([a.stop(), b.stop()]);
 * // → rejoined true true
 * ```
 */
export interface RejoinMessage {
  /** The server, as `host:port` or a socket path. */
  readonly server: string;
  /** How long it was off the ring, in milliseconds. */
  readonly downMs: number;
}

/**
 * What subscribers of `clonepool:memcached:get-or-set` receive: what a
 * `getOrSet` did about a key that was missing or due for a refresh, in this
 * process. Count `win` and `takeover` across processes to see how many refreshes
 * ran per expiry (one, when the herd is held back), `stale` to see readers
 * served the old value instead of waiting, `wait` and `timeout` to see callers
 * that had nothing to serve.
 *
 * | event | when | how often |
 * |---|---|---|
 * | `win` | this process won the right to refresh the key: its factory runs | once per refresh |
 * | `takeover` | as `win`, after waiting for another caller's refresh that was given back (its factory failed) or abandoned (its process died; taken over once its `lockTtl` ran out) | once per refresh |
 * | `stale` | a caller was served the old value while another refreshes it | per caller |
 * | `wait` | nothing to serve while another caller refreshes: this process polls for its value | once per wait |
 * | `timeout` | a caller waited `waitMs` and got no value (`ERR_MEMCACHED_WAIT_TIMEOUT`) | per caller |
 * | `error` | the factory threw or returned what cannot be stored: the right to refresh was given back | once per refresh |
 * | `store-error` | the factory's value could not be written (the callers still get it) | once per refresh |
 *
 * @example
 * ```ts
 * import { subscribe, unsubscribe } from 'node:diagnostics_channel';
 * import { Client, channelNames, type GetOrSetMessage } from '@clonepool/memcached';
 *
 * const onEvent = (message: unknown) => {
 *   const { event, key } = message as GetOrSetMessage;
 *   console.log(event, key);
 * };
 * subscribe(channelNames.getOrSet, onEvent);
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.delete('doc:herd');
 * await client.getOrSet('doc:herd', () => 'computed once', { ttl: 60 });
 * console.log(await client.getOrSet('doc:herd', () => 'not run', { ttl: 60 }));
 * unsubscribe(channelNames.getOrSet, onEvent);
 * await client.close();
 * // → win doc:herd
 * // → computed once
 * ```
 */
export interface GetOrSetMessage {
  /** What happened; see the table above. */
  readonly event: 'win' | 'takeover' | 'stale' | 'wait' | 'timeout' | 'error' | 'store-error';
  /** The key as the caller gave it (without the client's `keyPrefix`). */
  readonly key: Key;
  /** The key's server, as `host:port` or a socket path. */
  readonly server: string;
  /** The factory's error (`error`) or the write's (`store-error`). */
  readonly error?: unknown;
}

/**
 * What the `topology` event and the `clonepool:memcached:topology` channel
 * carry: a client's server list changed, by `setServers` or by `discovery`.
 * Every client of the fleet (the client and its clones) routes by the new list
 * from the moment it is announced.
 *
 * @example
 * ```ts
 * import { subscribe, unsubscribe } from 'node:diagnostics_channel';
 * import { Client, channelNames, type TopologyChange } from '@clonepool/memcached';
 *
 * const [a, b] = (process.env.MEMCACHED_SERVERS ?? 'localhost:11211,localhost:11212').split(',');
 * const onChange = (message: unknown) => {
 *   const { added, removed, source } = message as TopologyChange;
 *   console.log(source, added.length, removed.length);
 * };
 * subscribe(channelNames.topology, onChange);
 * const client = new Client([a!], { distribution: 'ketama' });
 * client.on('topology', (change) => console.log(change.servers.length));
 * await client.setServers([a!, b!]);
 * unsubscribe(channelNames.topology, onChange);
 * await client.close();
 * // → setServers 1 0
 * // → 2
 * ```
 */
export interface TopologyChange {
  /** The servers now, as `host:port` or socket paths, in order. */
  readonly servers: readonly string[];
  /** The servers that joined. */
  readonly added: readonly string[];
  /** The servers that left: their connections close once what they have in flight is done. */
  readonly removed: readonly string[];
  /** What changed it: a `setServers` call, or the `discovery` endpoint's answer. */
  readonly source: 'setServers' | 'discovery';
}

/**
 * The names of this package's channels, one table as undici keeps them.
 *
 * @example
 * ```ts
 * import { channelNames } from '@clonepool/memcached';
 *
 * console.log(channelNames.command);
 * console.log(channelNames.eject, channelNames.rejoin);
 * console.log(channelNames.getOrSet, channelNames.topology);
 * // → clonepool:memcached:command
 * // → clonepool:memcached:eject clonepool:memcached:rejoin
 * // → clonepool:memcached:get-or-set clonepool:memcached:topology
 * ```
 */
export const channelNames: {
  readonly command: 'clonepool:memcached:command';
  readonly eject: 'clonepool:memcached:eject';
  readonly rejoin: 'clonepool:memcached:rejoin';
  readonly getOrSet: 'clonepool:memcached:get-or-set';
  readonly topology: 'clonepool:memcached:topology';
} = Object.freeze({
  command: 'clonepool:memcached:command',
  eject: 'clonepool:memcached:eject',
  rejoin: 'clonepool:memcached:rejoin',
  getOrSet: 'clonepool:memcached:get-or-set',
  topology: 'clonepool:memcached:topology',
});

/**
 * The `node:diagnostics_channel` channels of `@clonepool/memcached`, made once (internal: users subscribe by {@link channelNames}).
 * `command` is a `TracingChannel` (`tracing:clonepool:memcached:command:start`, …)
 * that sees every operation of every client. When nobody subscribes, operations
 * skip it entirely: no context object is built. `eject` and `rejoin` are plain
 * channels that report failover (`removeFailed`) in every client: an
 * {@link EjectMessage} when a server leaves a ring, a {@link RejoinMessage}
 * when it is back. `getOrSet` is a plain channel that reports refreshes, stale
 * reads and waits of `getOrSet` (a {@link GetOrSetMessage}).
 */
export const channels: {
  // @types/node swapped TracingChannel's two type parameters (store and context) in a later major;
  // naming CommandContext for both reads the same under either order.
  readonly command: TracingChannel<CommandContext, CommandContext>;
  readonly eject: Channel<EjectMessage>;
  readonly rejoin: Channel<RejoinMessage>;
  readonly getOrSet: Channel<GetOrSetMessage>;
  readonly topology: Channel<TopologyChange>;
} = Object.freeze({
  command: tracingChannel<CommandContext, CommandContext>(channelNames.command),
  eject: channel(channelNames.eject) as Channel<EjectMessage>,
  rejoin: channel(channelNames.rejoin) as Channel<RejoinMessage>,
  getOrSet: channel(channelNames.getOrSet) as Channel<GetOrSetMessage>,
  topology: channel(channelNames.topology) as Channel<TopologyChange>,
});

/** What a traced command gets called with: up to four arguments, passed on as they are. */
type Command<T, A extends unknown[], R> = (this: T, ...args: A) => Promise<R>;

/**
 * Runs `target.method(a, b, c, d)` as the operation `command` on `key`: straight through
 * while nobody subscribes to the command channel, so the hot path builds no context
 * and no closure; inside the channel's trace (context `{ command, key, server }`) when someone does.
 * The method rejects rather than throws, so the trace sees every failure.
 */
export function trace<T, R>(command: string, key: TracedKey, target: T, method: Command<T, [], R>): Promise<R>;
export function trace<T, A, R>(
  command: string,
  key: TracedKey,
  target: T,
  method: Command<T, [A], R>,
  a: A,
): Promise<R>;
export function trace<T, A, B, R>(
  command: string,
  key: TracedKey,
  target: T,
  method: Command<T, [A, B], R>,
  a: A,
  b: B,
): Promise<R>;
export function trace<T, A, B, C, R>(
  command: string,
  key: TracedKey,
  target: T,
  method: Command<T, [A, B, C], R>,
  a: A,
  b: B,
  c: C,
): Promise<R>;
export function trace<T, A, B, C, D, R>(
  command: string,
  key: TracedKey,
  target: T,
  method: Command<T, [A, B, C, D], R>,
  a: A,
  b: B,
  c: C,
  d: D,
): Promise<R>;
export function trace(
  command: string,
  key: TracedKey,
  target: unknown,
  method: Command<unknown, unknown[], unknown>,
  a?: unknown,
  b?: unknown,
  c?: unknown,
  d?: unknown,
): Promise<unknown> {
  const channel = channels.command;
  if (!channel.hasSubscribers) return method.call(target, a, b, c, d);
  const context: CommandContext = { command, key, server: undefined };
  // The method routes the command synchronously, inside tracePromise: routed() names its server here.
  const outer = routing;
  routing = context;
  try {
    return channel.tracePromise(method, context, target, a, b, c, d);
  } finally {
    routing = outer;
  }
}

/** The context of the traced command whose method is running now, for {@link routed}. */
let routing: CommandContext | undefined;

/** Names `server` (`host:port` or a socket path) as where the command being traced goes; a no-op untraced. */
export function routed(server: string): void {
  if (routing !== undefined) routing.server = server;
}

/** Whether anyone traces commands: a command that must read its arguments to name them checks first. */
export function tracing(): boolean {
  return channels.command.hasSubscribers;
}

/** The key or keys a traced command names; `undefined` for server-wide commands. */
type TracedKey = Key | readonly Key[] | undefined;
