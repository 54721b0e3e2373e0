import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import type { Key } from './keys.js';

/**
 * What subscribers of {@link channels}`.command` receive for each operation (see
 * the example there):
 * the `start`, `end`, `asyncStart`, `asyncEnd` and `error` events of a
 * `TracingChannel`, with `result` or `error` filled in when it settles.
 */
export interface CommandContext {
  /** The client method, such as `get`, `set`, `getMulti`, `stats`. */
  readonly command: string;
  /** The key or keys as the caller gave them; `undefined` for server-wide commands. */
  readonly key: Key | readonly Key[] | undefined;
  /** Set by the channel when the operation resolves. */
  result?: unknown;
  /** Set by the channel when the operation rejects. */
  error?: unknown;
}

/**
 * The names of this package's channels, one table as undici keeps them.
 *
 * @example
 * ```ts
 * import { channelNames } from '@clonepool/memcached';
 *
 * console.log(channelNames.command);
 * // → clonepool:memcached:command
 * ```
 */
export const channelNames: { readonly command: 'clonepool:memcached:command' } = Object.freeze({
  command: 'clonepool:memcached:command',
});

/**
 * The `node:diagnostics_channel` channels of `@clonepool/memcached`, made once.
 * `command` is a `TracingChannel` (`tracing:clonepool:memcached:command:start`, …)
 * that sees every operation of every client. When nobody subscribes, operations
 * skip it entirely: no context object is built.
 *
 * @example
 * ```ts
 * import { tracingChannel } from 'node:diagnostics_channel';
 * import { Client, type CommandContext } from '@clonepool/memcached';
 *
 * const commands = tracingChannel<unknown, CommandContext>('clonepool:memcached:command');
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
export const channels: { readonly command: TracingChannel<unknown, CommandContext> } = Object.freeze({
  command: tracingChannel<unknown, CommandContext>(channelNames.command),
});

/** Runs `fn` inside the command channel's trace. Call it only when `channels.command.hasSubscribers`. */
export function traced<T>(command: string, key: Key | readonly Key[] | undefined, fn: () => Promise<T>): Promise<T> {
  return channels.command.tracePromise(fn, { command, key });
}
