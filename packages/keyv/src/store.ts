import { EventEmitter } from 'node:events';
import {
  Client,
  ClientClosedError,
  type ClientOptions,
  InvalidArgumentError,
  type ServerList,
} from '@clonepool/memcached';
import type { StoredData } from 'keyv';
import { Generation } from './generation.js';
import { checkPayload, decodeItem, encodeItem } from './items.js';
import { generationKey, isHashed, itemKey } from './keys.js';
import { lifetime } from './ttl.js';

/**
 * The events of a {@link KeyvMemcached}, with their arguments.
 *
 * @example
 * ```ts
 * import { KeyvMemcached } from '@clonepool/keyv';
 *
 * // Nothing listens on port 9: the connect fails, the client reports it, the store passes it on.
 * const store = new KeyvMemcached('127.0.0.1:9');
 * store.on('error', (error) => console.log('error', (error as Error & { code: string }).code));
 * console.log(await store.get('keyv:anything').catch((error) => error.code));
 * await store.disconnect();
 * // → error ERR_MEMCACHED_CONNECTION
 * // → ERR_MEMCACHED_CONNECTION
 * ```
 */
export interface KeyvMemcachedEvents {
  /**
   * The client reported a failed connection (a refused or dropped socket, a
   * timeout). Keyv listens and re-emits it as its own `error` event. The
   * operations that failed reject as well, and Keyv decides what its callers
   * see (by default a failed `get` reads as a miss and a failed `set` as `false`).
   */
  error: [error: Error];
}

/** One entry of {@link KeyvMemcached.setMany}, as Keyv hands it over: `ttl` in milliseconds. */
interface KeyvEntry {
  readonly key: string;
  readonly value: string;
  readonly ttl?: number | undefined;
}

/** One value to write, checked and mapped to its memcached key. */
interface Write {
  readonly wire: string;
  /** The original key when `wire` is its hash, which the item then carries. */
  readonly hashedKey: string | undefined;
  readonly deadline: number | undefined;
  readonly seconds: number;
  readonly payload: string;
}

/**
 * A Keyv storage adapter on `@clonepool/memcached`: `new Keyv({ store: new KeyvMemcached(servers) })`,
 * or one of cache-manager's stores.
 *
 * - **Keys**: a printable ASCII key of up to 200 bytes is stored under its own
 *   name; any other (spaces, Unicode, long keys) under its SHA-256, with the
 *   original key kept in the item and compared on read.
 * - **TTLs**: Keyv's milliseconds go to memcached as whole seconds, rounded
 *   up, plus one (memcached's clock ticks once a second, so an item set for N
 *   seconds may live only N − 1); the item carries its exact deadline, which
 *   reads check, so a value expires at the millisecond Keyv asked for.
 * - **clear()** moves the namespace's generation counter on: every item
 *   written before it stops being read, at once and in every process, without
 *   a key scan or `flush_all`. The old items stay until memcached evicts them
 *   or their TTL ends. It costs every operation a read of the counter, in the
 *   same round trip (a read asks for it in its own multi-get, a write sends a
 *   `get` beside its `set`), shared by the operations of one event-loop turn.
 * - **Values** are the strings Keyv serializes, stored as UTF-8 after a short
 *   header and returned exactly as they were.
 *
 * Given a `Client`, the store uses it and leaves it open on `disconnect()`:
 * close it yourself. Given servers (and the client's options), it makes its
 * own client and closes it on `disconnect()`.
 *
 * Operations reject with the driver's typed errors (`ERR_INVALID_KEY`,
 * `ERR_INVALID_VALUE`, `ERR_MEMCACHED_CONNECTION`, …); Keyv turns them into its
 * `error` event and `false`/`undefined` results unless `throwOnErrors` is set.
 *
 * @example
 * ```ts
 * import { KeyvMemcached } from '@clonepool/keyv';
 * import Keyv from 'keyv';
 *
 * const keyv = new Keyv({ store: new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211') });
 * await keyv.set('greeting', { text: 'héllo wörld' }, 60_000);
 * console.log(await keyv.get('greeting'));
 * await keyv.clear();
 * console.log(await keyv.get('greeting'));
 * await keyv.disconnect();
 * // → { text: 'héllo wörld' }
 * // → undefined
 * ```
 */
export class KeyvMemcached extends EventEmitter<KeyvMemcachedEvents> {
  /**
   * The client the store talks through: the one you gave, or the one it made
   * from your servers and options.
   */
  readonly client: Client;
  /**
   * Keyv's adapter contract asks every store for an `opts` object; Keyv reads
   * `opts.dialect` from it. The store itself reads nothing from it.
   */
  readonly opts: Record<string, unknown> = { dialect: 'memcached' };
  readonly #owned: boolean;
  readonly #onError = (error: Error): void => {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  };
  #namespace: string | undefined;
  #generation: Generation | undefined;
  #disconnected: Promise<void> | undefined;

  /**
   * Makes a store on a client you made; `disconnect()` leaves it open.
   *
   * @param client - A `Client` of `@clonepool/memcached`, with whatever options it has (`keyPrefix` counts toward the key limit).
   */
  constructor(client: Client);
  /**
   * Makes a store with a client of its own, made from `servers` and `options`;
   * `disconnect()` closes it.
   *
   * @param servers - As `new Client(servers)` takes them: `'host:port'`, a comma-separated list or an array.
   * @param options - The client's options (`timeoutMs`, `keyPrefix`, `distribution`, …).
   */
  constructor(servers: ServerList, options?: ClientOptions);
  constructor(clientOrServers: Client | ServerList, options?: ClientOptions) {
    super();
    if (typeof clientOrServers === 'string' || Array.isArray(clientOrServers)) {
      this.client = new Client(clientOrServers as ServerList, options);
      this.#owned = true;
    } else if (isClient(clientOrServers)) {
      if (options !== undefined) {
        throw new InvalidArgumentError('options', 'left out when a Client is given (it has its own)', options);
      }
      this.client = clientOrServers;
      this.#owned = false;
    } else {
      throw new InvalidArgumentError('client', 'a Client of @clonepool/memcached, or servers', clientOrServers);
    }
    this.client.on('error', this.#onError);
  }

  /**
   * The namespace Keyv sets on its store (`keyv` unless you pass another):
   * `clear()` clears this namespace only. Keyv already writes it before each
   * key, so it names only the generation counter.
   */
  get namespace(): string | undefined {
    return this.#namespace;
  }

  set namespace(namespace: string | undefined) {
    if (namespace !== undefined && typeof namespace !== 'string') {
      throw new InvalidArgumentError('namespace', 'a string or undefined', namespace);
    }
    if (namespace === this.#namespace) return;
    this.#namespace = namespace;
    this.#generation = undefined;
  }

  /**
   * Reads the string Keyv stored under `key`, or `undefined` when it is
   * missing, expired or was cleared.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await store.set('doc:store-get', 'as Keyv serialized it');
   * console.log(await store.get('doc:store-get'));
   * console.log(await store.get('doc:store-missing'));
   * await store.disconnect();
   * // → as Keyv serialized it
   * // → undefined
   * ```
   */
  get(key: string): Promise<string | undefined>;
  /** Keyv's `KeyvStoreAdapter` type declares `get` generic over the value; this signature keeps the store assignable to it. */
  get<Value>(key: string): Promise<StoredData<Value>>;
  get(key: string): Promise<string | undefined> {
    try {
      const generation = this.#current();
      const wire = itemKey(key);
      return generation
        .readOne(wire)
        .then(([current, stored]) => decodeItem(stored, current, isHashed(wire) ? key : undefined, Date.now()));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Reads many keys with one multi-get per server; resolves the strings in the
   * order of `keys`, with `undefined` for each miss.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await store.setMany([
   *   { key: 'doc:many-a', value: '"a"' },
   *   { key: 'doc:many b', value: '"b"' },
   * ]);
   * console.log(await store.getMany(['doc:many-a', 'doc:many-none', 'doc:many b']));
   * await store.disconnect();
   * // → [ '"a"', undefined, '"b"' ]
   * ```
   */
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** Keyv's `KeyvStoreAdapter` type declares `getMany` generic over the value; this signature keeps the store assignable to it. */
  getMany<Value>(keys: string[]): Promise<StoredData<Value | undefined>[]>;
  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    try {
      const generation = this.#current();
      const wires = mapKeys(keys);
      if (wires.length === 0) return Promise.resolve([]);
      return generation.readMany(wires).then(([current, hits]) => {
        const now = Date.now();
        return wires.map((wire, i) => decodeItem(hits.get(wire), current, isHashed(wire) ? keys[i] : undefined, now));
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Whether `key` holds a value that is neither expired nor cleared.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await store.set('doc:has', '1', 100); // Keyv's milliseconds
   * console.log(await store.has('doc:has'));
   * await new Promise((resolve) => setTimeout(resolve, 150));
   * // Expired to the millisecond, though memcached keeps the item a while longer.
   * console.log(await store.has('doc:has'));
   * await store.disconnect();
   * // → true
   * // → false
   * ```
   */
  has(key: string): Promise<boolean> {
    return this.get(key).then((value) => value !== undefined);
  }

  /**
   * {@link KeyvMemcached.has} for many keys, with one multi-get per server.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await store.set('doc:has-many', '1');
   * console.log(await store.hasMany(['doc:has-many', 'doc:has-none']));
   * await store.disconnect();
   * // → [ true, false ]
   * ```
   */
  hasMany(keys: readonly string[]): Promise<boolean[]> {
    return this.getMany(keys).then((values) => values.map((value) => value !== undefined));
  }

  /**
   * Stores the string Keyv serialized under `key`, expiring after `ttl`
   * milliseconds (none when `undefined`, `0` or `Infinity`). Resolves `true`
   * when memcached stored it.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * // Any key: this one has spaces and is longer than memcached allows.
   * const key = `doc:a long key ${'x'.repeat(300)}`;
   * console.log(await store.set(key, '{"value":"kept"}', 60_000));
   * console.log(await store.get(key));
   * await store.disconnect();
   * // → true
   * // → {"value":"kept"}
   * ```
   */
  set(key: string, value: string, ttl?: number): Promise<boolean> {
    try {
      const generation = this.#current();
      return this.#write(generation, [prepare(key, value, ttl, Date.now())]).then((stored) => stored[0]!);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stores many values with the client's `setMulti` (one per distinct TTL in
   * seconds), pipelined. Resolves, entry for entry, whether each was stored.
   * Every key and value is checked before anything is sent.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * console.log(
   *   await store.setMany([
   *     { key: 'doc:set-many-1', value: '1', ttl: 1_000 },
   *     { key: 'doc:set-many-2', value: '2' },
   *   ]),
   * );
   * await store.disconnect();
   * // → [ true, true ]
   * ```
   */
  setMany(entries: readonly KeyvEntry[]): Promise<boolean[]>;
  // Keyv's `KeyvStoreAdapter` type declares `Promise<void>` here (its `setMany` returns what the store resolves):
  // this signature keeps the store assignable to it.
  setMany(entries: readonly KeyvEntry[]): Promise<void>;
  setMany(entries: readonly KeyvEntry[]): Promise<unknown> {
    try {
      const generation = this.#current();
      if (!Array.isArray(entries))
        throw new InvalidArgumentError('entries', 'an array of { key, value, ttl }', entries);
      const now = Date.now();
      const writes = entries.map((entry) => prepare(entry?.key, entry?.value, entry?.ttl, now));
      if (writes.length === 0) return Promise.resolve([]);
      return this.#write(generation, writes);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Deletes `key`; resolves `true` when it held a value (not expired, not
   * cleared). The item is read and deleted in the same round trip.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await store.set('doc:delete', '1');
   * console.log(await store.delete('doc:delete'), await store.delete('doc:delete'));
   * await store.disconnect();
   * // → true false
   * ```
   */
  delete(key: string): Promise<boolean> {
    try {
      const generation = this.#current();
      const wire = itemKey(key);
      // One connection serves the key, in order: the get reads the item before the delete removes it.
      return Promise.all([generation.readOne(wire), this.client.delete(wire)]).then(
        ([[current, stored], deleted]) =>
          deleted && decodeItem(stored, current, isHashed(wire) ? key : undefined, Date.now()) !== undefined,
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Deletes many keys with the client's `deleteMulti`; resolves `true` when
   * every one held a value, as Keyv's `deleteMany` does.
   *
   * @example
   * ```ts
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const store = new KeyvMemcached(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * await store.setMany([
   *   { key: 'doc:delete-many-1', value: '1' },
   *   { key: 'doc:delete-many-2', value: '2' },
   * ]);
   * console.log(await store.deleteMany(['doc:delete-many-1', 'doc:delete-many-2']));
   * console.log(await store.deleteMany(['doc:delete-many-1']));
   * await store.disconnect();
   * // → true
   * // → false
   * ```
   */
  deleteMany(keys: readonly string[]): Promise<boolean> {
    try {
      const generation = this.#current();
      const wires = mapKeys(keys);
      if (wires.length === 0) return Promise.resolve(true);
      return Promise.all([generation.readMany(wires), this.client.deleteMulti(wires)]).then(([[current, hits]]) => {
        const now = Date.now();
        return wires.every(
          (wire, i) => decodeItem(hits.get(wire), current, isHashed(wire) ? keys[i] : undefined, now) !== undefined,
        );
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Clears the namespace: moves its generation on, so every value written
   * before stops being read, in this process and every other, with one `incr`.
   * Other namespaces and other data on the servers are left alone.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * const users = new KeyvMemcached(client);
   * users.namespace = 'doc-users';
   * const pages = new KeyvMemcached(client);
   * pages.namespace = 'doc-pages';
   * await users.set('doc-users:1', 'ada');
   * await pages.set('doc-pages:1', 'home');
   * await users.clear();
   * console.log(await users.get('doc-users:1'), await pages.get('doc-pages:1'));
   * await client.close();
   * // → undefined home
   * ```
   */
  clear(): Promise<void> {
    try {
      return this.#current().clear();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Ends the store: closes its client if it made it, leaves a client you gave
   * it open. Operations after it reject with `ERR_CLIENT_CLOSED`. Idempotent.
   *
   * @example
   * ```ts
   * import { Client } from '@clonepool/memcached';
   * import { KeyvMemcached } from '@clonepool/keyv';
   *
   * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
   * const store = new KeyvMemcached(client);
   * await store.disconnect();
   * console.log(client.isClosed, await store.get('k').catch((error) => error.code));
   * await client.close();
   * // → false ERR_CLIENT_CLOSED
   * ```
   */
  disconnect(): Promise<void> {
    if (this.#disconnected === undefined) {
      this.client.off('error', this.#onError);
      this.#disconnected = this.#owned ? this.client.close() : Promise.resolve();
    }
    return this.#disconnected;
  }

  /** The generation of the current namespace, made on first use. */
  #current(): Generation {
    if (this.#disconnected !== undefined) throw new ClientClosedError();
    this.#generation ??= new Generation(this.client, generationKey(this.#namespace));
    return this.#generation;
  }

  /**
   * Writes `writes` in the generation last seen and, in the same round trip,
   * reads the current one; if a clear moved it on meanwhile, writes them again
   * in the new one. Before the first read there is nothing to guess with, so
   * the first write waits for it.
   */
  #write(generation: Generation, writes: readonly Write[]): Promise<boolean[]> {
    const fresh = generation.read();
    const known = generation.known;
    if (known === undefined) return fresh.then((current) => this.#send(writes, current));
    return Promise.all([fresh, this.#send(writes, known)]).then(([current, stored]) =>
      current === known ? stored : this.#send(writes, current),
    );
  }

  /** Sends `writes` in `generation`: one `set`, or one `setMulti` per TTL. */
  #send(writes: readonly Write[], generation: string): Promise<boolean[]> {
    if (writes.length === 1) {
      const write = writes[0]!;
      return this.client
        .set(write.wire, encodeItem(generation, write.deadline, write.hashedKey, write.payload), { ttl: write.seconds })
        .then((stored) => [stored]);
    }
    const byTtl = new Map<number, [string, string][]>();
    for (const write of writes) {
      let batch = byTtl.get(write.seconds);
      if (batch === undefined) {
        batch = [];
        byTtl.set(write.seconds, batch);
      }
      batch.push([write.wire, encodeItem(generation, write.deadline, write.hashedKey, write.payload)]);
    }
    return Promise.all([...byTtl].map(([ttl, batch]) => this.client.setMulti(batch, { ttl }))).then((failed) => {
      const notStored = new Set(failed.flat());
      return writes.map((write) => !notStored.has(write.wire));
    });
  }
}

/** Checks one write and maps its key; throws before anything is sent. */
function prepare(key: unknown, value: unknown, ttl: unknown, now: number): Write {
  const wire = itemKey(key);
  checkPayload(value);
  const { deadline, seconds } = lifetime(ttl, now);
  return { wire, hashedKey: isHashed(wire) ? (key as string) : undefined, deadline, seconds, payload: value };
}

function mapKeys(keys: readonly string[]): string[] {
  if (!Array.isArray(keys)) throw new InvalidArgumentError('keys', 'an array of keys', keys);
  return keys.map(itemKey);
}

/** A `Client`, also from another installed copy of `@clonepool/memcached` (where `instanceof` fails). */
function isClient(value: unknown): value is Client {
  if (value instanceof Client) return true;
  if (typeof value !== 'object' || value === null) return false;
  const client = value as Record<string, unknown>;
  return ['get', 'getMulti', 'set', 'setMulti', 'add', 'incr', 'delete', 'deleteMulti', 'on', 'off', 'close'].every(
    (name) => typeof client[name] === 'function',
  );
}
