import type { MultiCommand } from './client.js';
import type { Connection } from './connection.js';
import { routed } from './diagnostics.js';
import { ServersFailedError } from './errors.js';
import type { WaitingOp } from './ops.js';

/** What a fan-out needs of its client. */
export interface FanoutOwner {
  /** Whether a multi-key command goes on without a failed server: `removeFailed` with several servers. */
  readonly partialMulti: boolean;
  /** How many servers the client has. */
  readonly serverCount: number;
  /** Reports a server whose share failed, when the command goes on without it. */
  partial(server: string, error: Error, command: MultiCommand): void;
}

/**
 * One multi-key command spread over the servers its keys live on, the same way for
 * `getMulti`, `setMulti` and `deleteMulti`:
 *
 * 1. the command puts each item in its server's share ({@link Fanout.share});
 * 2. {@link Fanout.send} fails at once every server that cannot take commands now (left
 *    alone for `retryTimeoutMs`) and has every other share written, the command queueing
 *    the ops it waits on with {@link Fanout.expect}: the healthy servers are asked all the
 *    same, so one call reports every failed server;
 * 3. {@link Fanout.settle} waits for every reply, then reports each failed server once: by
 *    the `partial` event when the command goes on without it (`removeFailed`), else by
 *    rejecting (a `ServersFailedError`, or a one-server client's own error).
 *
 * A share's items keep their order, so each server sees them as the caller gave them.
 */
export class Fanout<S> {
  readonly #command: MultiCommand;
  readonly #owner: FanoutOwner;
  readonly #shares = new Map<Connection, S>();
  /** The share looked up last: consecutive items of one server skip the map. */
  #last: Connection | undefined = undefined;
  #lastShare: S | undefined = undefined;
  /** The servers whose share failed, with the first error of each, in the order they failed. */
  #failed: Map<Connection, Error> | undefined = undefined;
  /** The replies waited on, and the connection each came from. */
  readonly #replies: Promise<unknown>[] = [];
  readonly #from: Connection[] = [];

  constructor(command: MultiCommand, owner: FanoutOwner) {
    this.#command = command;
    this.#owner = owner;
  }

  /** How many servers have a share. */
  get size(): number {
    return this.#shares.size;
  }

  /** The share of `connection`'s server, made by `make` the first time. */
  share(connection: Connection, make: () => S): S {
    if (connection === this.#last) return this.#lastShare!;
    let share = this.#shares.get(connection);
    if (share === undefined) {
      share = make();
      this.#shares.set(connection, share);
    }
    this.#last = connection;
    this.#lastShare = share;
    return share;
  }

  /** Fails the servers that cannot take commands now, then calls `write` with every other share. */
  send(write: (connection: Connection, share: S) => void): void {
    if (this.#shares.size === 1) routed(this.#last!.server.label);
    for (const connection of this.#shares.keys()) {
      const error = connection.ready();
      if (error !== undefined) this.#fail(connection, error);
    }
    const failed = this.#failed;
    for (const [connection, share] of this.#shares) if (failed?.has(connection) !== true) write(connection, share);
  }

  /** Queues `op`, whose command was just written on `connection`, and waits for its reply in {@link settle}. */
  expect(connection: Connection, op: WaitingOp): void {
    this.#replies.push(connection.send(op));
    this.#from.push(connection);
  }

  /**
   * Waits for every reply {@link expect}ed, then reports the failed servers. Resolves each
   * reply's value in order, `undefined` where one failed; rejects when the command fails.
   */
  settle(): Promise<unknown[]> {
    return Promise.allSettled(this.#replies).then((outcomes) => {
      // Dense, with undefined where a reply failed: `every` and friends skip the holes of a sparse array.
      const values: unknown[] = [];
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i]!;
        if (outcome.status === 'fulfilled') {
          values.push(outcome.value);
        } else {
          values.push(undefined);
          this.#fail(this.#from[i]!, outcome.reason as Error);
        }
      }
      this.report();
      return values;
    });
  }

  /**
   * Reports the servers that failed so far: emits `partial` for each when the command goes
   * on without them, else throws the command's error. {@link settle} calls it once every
   * reply is in; a command that waits for no reply (`noreply`) calls it itself.
   */
  report(): void {
    const failed = this.#failed;
    if (failed === undefined) return;
    const owner = this.#owner;
    if (!owner.partialMulti) throw this.#error(failed);
    for (const [connection, error] of failed) owner.partial(connection.server.label, error, this.#command);
  }

  #fail(connection: Connection, error: Error): void {
    this.#failed ??= new Map();
    if (!this.#failed.has(connection)) this.#failed.set(connection, error);
  }

  /** The rejection: the server's own error on a one-server client, else every cause. */
  #error(failed: Map<Connection, Error>): Error {
    const total = this.#owner.serverCount;
    if (total === 1) return failed.values().next().value!;
    const servers = [...failed.keys()].map((connection) => connection.server.label);
    return new ServersFailedError(this.#command, total, servers, [...failed.values()]);
  }
}
