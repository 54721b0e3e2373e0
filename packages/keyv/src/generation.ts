import { randomInt } from 'node:crypto';
import type { Client } from '@clonepool/memcached';

/**
 * Where a lost generation restarts: a random number below 2^47. A counter that
 * restarted at 0 after an eviction or a server restart would meet the items of
 * its earlier generations again; a random start meets them with a chance of
 * about (clears since then) / 2^47.
 */
const RESTART_RANGE = 2 ** 47;

/**
 * A namespace's generation: a counter in memcached that `clear()` moves on, so
 * every item written before it (each carries the generation it was written in)
 * stops being read, with no key scan. Other processes see a clear on their
 * next operation, because every operation reads the counter, in the same
 * round trip as its own command.
 *
 * The operations that start before a read of the counter is sent share it:
 * the read and the clean-up that ends the sharing are both `setImmediate`
 * callbacks (the client sends a tick's commands from one), queued in that
 * order, so no I/O is handled between a read being asked for and the last
 * operation that shares it. A clear this process could have heard of before
 * an operation started — its own, or another's through a reply, a request or
 * a message — finished before the read went out, and the read sees it. At 200
 * operations in flight most of a tick's operations share one read; one at a
 * time, a read asks for the counter in the same multi-get as the item (one
 * command), and a write sends a `get` of it beside the `set` (one round trip).
 */
export class Generation {
  readonly #client: Client;
  readonly #key: string;
  /** The read that operations starting now share, until it is sent. */
  #shared: Promise<string> | undefined;
  /** The last generation read: writes go out with it at once and are checked against a fresh read. */
  #known: string | undefined;

  /**
   * @param client - The client the counter is read and moved through.
   * @param key - The counter's memcached key (from `generationKey`).
   */
  constructor(client: Client, key: string) {
    this.#client = client;
    this.#key = key;
  }

  /** The last generation this store read or made; `undefined` before the first. */
  get known(): string | undefined {
    return this.#known;
  }

  /** The current generation, read from memcached (shared by the operations that start before the read is sent). */
  read(): Promise<string> {
    return this.#shared ?? this.#share(this.#fetch());
  }

  /**
   * Reads the item `wire` with the current generation: beside the turn's shared
   * read of the counter, or, when there is none yet, in one multi-get with the
   * counter (`get <counter> <key>`), which later operations of the turn share.
   */
  readOne(wire: string): Promise<[generation: string, stored: unknown]> {
    const shared = this.#shared;
    if (shared !== undefined) return Promise.all([shared, this.#client.get(wire)]);
    return this.readMany([wire]).then(([generation, hits]) => [generation, hits.get(wire)]);
  }

  /** As {@link Generation.readOne} for many items: one multi-get, with the counter unless the turn shares a read. */
  readMany(wires: readonly string[]): Promise<[generation: string, hits: Map<string, unknown>]> {
    const shared = this.#shared;
    if (shared !== undefined) return Promise.all([shared, this.#client.getMulti(wires)]);
    const hits = this.#client.getMulti([this.#key, ...wires]);
    const read = this.#share(
      hits.then((found) => {
        const value = found.get(this.#key);
        return value === undefined || value === null ? this.#fetch() : this.#remember(String(value));
      }),
    );
    return Promise.all([read, hits]);
  }

  /** Makes `read` the read that operations starting from now share, until the client sends it. */
  #share(read: Promise<string>): Promise<string> {
    this.#shared = read;
    setImmediate(() => {
      if (this.#shared === read) this.#shared = undefined;
    });
    return read;
  }

  async #fetch(): Promise<string> {
    const value = await this.#client.get(this.#key);
    if (value !== undefined && value !== null) return this.#remember(String(value));
    // Never written, evicted, or lost with a restarted server: a new random lineage.
    const start = randomInt(RESTART_RANGE);
    if (await this.#client.add(this.#key, start)) return this.#remember(String(start));
    // Another process started it between our get and add.
    const raced = await this.#client.get(this.#key);
    if (raced !== undefined && raced !== null) return this.#remember(String(raced));
    return this.#fetch();
  }

  /** Moves the generation on: every item written before is no longer read, in any process. */
  async clear(): Promise<void> {
    // Reads already asked for may have gone out before the increment: no one may share them any more.
    this.#shared = undefined;
    // A bigint: the generation is kept as the counter's exact digits, however far it has counted.
    const next = await this.#client.incr(this.#key, 1, { bigint: true });
    if (next !== undefined) {
      this.#remember(next.toString());
      return;
    }
    // No counter at all: a fresh random one hides every older item just as well.
    const start = randomInt(RESTART_RANGE);
    if (await this.#client.add(this.#key, start)) {
      this.#remember(String(start));
      return;
    }
    await this.clear();
  }

  #remember(generation: string): string {
    this.#known = generation;
    return generation;
  }
}
