// getOrSet and invalidate: one refresh of a key across every process, through memcached's meta
// protocol (memcached 1.6+). How a key's item moves, as memcached 1.6.18 answers
// `mg <key> v c f N<lockTtl> R<grace + 1>`:
//
//   missing ── mg N: vivifies an empty placeholder (flags 0, TTL lockTtl) ──▶ placeholder
//     the first reader gets W (it runs the factory), every later one Z (nothing to serve: it polls)
//   placeholder ── winner: ms … C<cas> ──▶ fresh value (TTL ttl + grace)
//   placeholder ── winner's factory failed: md C<cas> ──▶ missing (the next reader wins at once)
//   placeholder ── winner died: its TTL (lockTtl) ends ──▶ missing (the next poll wins: a takeover)
//   fresh ── ttl passed (TTL left ≤ grace, R): the first reader gets W, later ones Z, all with the value ──▶ due
//   fresh, due ── invalidate: md I [T<grace>] ──▶ stale: X, W for the first reader, Z for later ones
//   due, stale ── winner: ms … C<cas> ──▶ fresh;  factory failed: md I C<cas> ──▶ stale, W handed out again
//
// A reader serves any value that is not the placeholder (fresh, due or stale) at once, unless it
// got W. The store carries the CAS of the item that was won: if anything changed the item since
// (an invalidate, a set, an expiry) memcached refuses it (EX/NF) and the value is not stored, so a
// value computed before an invalidation is never taken for fresh.

import { type AbortWatcher, checkOptions, MAX_TIMER_MS, unwatchAbort, watchAbort } from '@clonepool/core';
import { exptime } from './arguments.js';
import type { Connection } from './connection.js';
import { channels, type GetOrSetMessage } from './diagnostics.js';
import { ClientClosedError, InvalidArgumentError, OperationAbortedError, WaitTimeoutError } from './errors.js';
import { type Key, keyBytes } from './keys.js';
import { Op } from './ops.js';
import type { ParsedOptions } from './options.js';
import type { MetaItem } from './replies.js';
import { type Encoded, encodeValue } from './values.js';

/**
 * The options of {@link Client.getOrSet}.
 *
 * @example
 * ```ts
 * import { Client, type GetOrSetOptions } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * // Fresh for 5 minutes; for one more minute the old value is served while one caller refreshes it.
 * const options: GetOrSetOptions = { ttl: 300, grace: 60, lockTtl: 10, waitMs: 2000 };
 * console.log(await client.getOrSet('doc:options', () => 'value', options));
 * await client.close();
 * // → value
 * ```
 */
export interface GetOrSetOptions {
  /**
   * Seconds the factory's value stays fresh. `0` keeps it until it is evicted or
   * invalidated (then `grace` does not apply). Converted as {@link WriteOptions.ttl} is.
   */
  readonly ttl: number;
  /**
   * Seconds after `ttl` during which the old value is still served, at once, to every
   * caller but the one that refreshes it: readers never wait when there is a value. `0`
   * serves nothing old: when the value expires, one caller refreshes it and the others
   * wait for it. At most 30 days (2592000).
   * @default 0
   */
  readonly grace?: number;
  /**
   * Seconds a refresh of a missing value may take before another caller takes it over:
   * if the caller that won the refresh dies, the key is free again after this long.
   * Make it longer than the factory's slowest run. 1 to 2592000.
   * @default 30
   */
  readonly lockTtl?: number;
  /**
   * Milliseconds a caller with nothing to serve waits for another caller's refresh
   * (polling with backoff) before it rejects with `ERR_MEMCACHED_WAIT_TIMEOUT`. `0`
   * rejects at once. 0 to 2^31−1.
   * @default the client's timeoutMs
   */
  readonly waitMs?: number;
  /** Aborts the call (`ERR_MEMCACHED_ABORTED`); the factory's own signal aborts once no caller waits for it. */
  readonly signal?: AbortSignal;
}

/**
 * What a {@link GetOrSetFactory} receives.
 *
 * @example
 * ```ts
 * import { Client, type RefreshContext } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.delete('doc:context');
 * const load = async ({ signal, stale }: RefreshContext<number>) => {
 *   console.log(signal.aborted, stale);
 *   return 1;
 * };
 * console.log(await client.getOrSet('doc:context', load, { ttl: 60 }));
 * await client.close();
 * // → false undefined
 * // → 1
 * ```
 */
export interface RefreshContext<V> {
  /**
   * Aborts when no caller waits for this refresh any more: each gave up (its own
   * `signal`) or its client was closed. Pass it on to `fetch` or the database driver.
   */
  readonly signal: AbortSignal;
  /** The value being refreshed, when there is one (an expired or invalidated value still in its grace). */
  readonly stale: V | undefined;
}

/**
 * What computes a value for {@link Client.getOrSet}: it may return the value or a promise of it.
 *
 * @example
 * ```ts
 * import { Client, type GetOrSetFactory } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * const loadUser: GetOrSetFactory<{ name: string }> = async () => ({ name: 'Ada' });
 * console.log(await client.getOrSet('doc:factory', loadUser, { ttl: 60 }));
 * await client.close();
 * // → { name: 'Ada' }
 * ```
 */
export type GetOrSetFactory<V> = (context: RefreshContext<V>) => V | PromiseLike<V>;

/**
 * The options of {@link Client.invalidate}.
 *
 * @example
 * ```ts
 * import { Client, type InvalidateOptions } from '@clonepool/memcached';
 *
 * const client = new Client(process.env.MEMCACHED_SERVER ?? 'localhost:11211');
 * await client.set('doc:invalidate-options', 1);
 * const options: InvalidateOptions = { grace: 30 };
 * console.log(await client.invalidate('doc:invalidate-options', options));
 * await client.close();
 * // → true
 * ```
 */
export interface InvalidateOptions {
  /**
   * Seconds the stale value is still served by `getOrSet` while one caller refreshes it.
   * Omitted, it keeps the item's own TTL; `0` deletes the item (nothing stale is served).
   * At most 30 days (2592000).
   * @default the item's remaining TTL
   */
  readonly grace?: number;
}

/** The longest grace and lockTtl: memcached reads the R and N tokens as seconds only up to 30 days. */
const MAX_SECONDS = 30 * 24 * 60 * 60;
const DEFAULT_LOCK_TTL = 30;
/** A waiting caller polls after this long, then twice as long each time, up to {@link LAST_POLL_MS}, with jitter. */
const FIRST_POLL_MS = 10;
const LAST_POLL_MS = 100;
const OPTIONS = ['ttl', 'grace', 'lockTtl', 'waitMs', 'signal'];

/** The in-flight refreshes of one process, by wire key: shared by a client and its clones (it lives on their config). */
export type Flights = Map<string, Flight>;

/** A checked getOrSet call. */
interface Request {
  readonly key: Key;
  /** The key's bytes as latin1, without the prefix. */
  readonly bytes: string;
  readonly factory: GetOrSetFactory<unknown>;
  /** The mg flags: `v c f N<lockTtl>[ R<grace + 1>]`. */
  readonly read: string;
  /** The exptime the value is stored with: ttl + grace, converted. */
  readonly storeTtl: number;
  readonly lockTtl: number;
  readonly waitMs: number;
  readonly signal: AbortSignal | undefined;
}

function seconds(value: unknown, name: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_SECONDS) {
    throw new InvalidArgumentError(name, `an integer number of seconds from ${min} to ${MAX_SECONDS} (30 days)`, value);
  }
  return value;
}

function parseRequest(key: Key, factory: unknown, options: unknown, settings: ParsedOptions): Request {
  const bytes = keyBytes(key, settings.keyPrefix.length);
  const o = checkOptions(options, OPTIONS, 'getOrSet()');
  const ttl = exptime(o.ttl, 'ttl');
  const grace = seconds(o.grace, 'grace', 0, 0);
  const lockTtl = seconds(o.lockTtl, 'lockTtl', 1, DEFAULT_LOCK_TTL);
  const waitMs = o.waitMs ?? settings.timeoutMs;
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_TIMER_MS) {
    throw new InvalidArgumentError('waitMs', `an integer from 0 to ${MAX_TIMER_MS}`, waitMs);
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal', 'an AbortSignal', signal);
  }
  if (typeof factory !== 'function') throw new InvalidArgumentError('factory', 'a function', factory);
  // A TTL of 0 keeps the value for good: there is nothing to recache early (and T0 + grace would expire it).
  const recaches = ttl !== 0 && grace > 0;
  return {
    key,
    bytes,
    factory: factory as GetOrSetFactory<unknown>,
    // R<n> wins a refresh when less than n seconds are left: with grace + 1, once ttl seconds have passed.
    read: `v c f N${lockTtl}${recaches ? ` R${grace + 1}` : ''}`,
    storeTtl: recaches ? exptime((o.ttl as number) + grace, 'ttl') : ttl,
    lockTtl,
    waitMs,
    signal,
  };
}

/**
 * The empty item `mg … N` vivifies on a miss, which the winner fills: no data, flags 0, and
 * W or Z (memcached hands the right to fill it to one reader). An empty byte value stored by
 * any client looks the same while it is being refreshed; see getOrSet's docs.
 */
function isPlaceholder(item: MetaItem): boolean {
  return item.size === 0 && item.flags === 0 && (item.win || item.lost);
}

function publish(event: GetOrSetMessage['event'], key: Key, server: string, error?: unknown): void {
  if (!channels.getOrSet.hasSubscribers) return;
  channels.getOrSet.publish(error === undefined ? { event, key, server } : { event, key, server, error });
}

/**
 * The getOrSet and invalidate of one client: checks each call, then joins the key's
 * {@link Flight} in this process or starts one. Made by the client on first use.
 */
export class Refresher {
  readonly #flights: Flights;
  readonly settings: ParsedOptions;
  /** The connection of a key's server, ready for a command (throws when it cannot take one now). */
  readonly readyFor: (bytes: string) => Connection;
  /** The calls of this client that have not settled, rejected by {@link close}. */
  readonly #callers = new Set<Caller>();
  /**
   * Refreshes through this client that every caller left while they held the right to
   * refresh: they still store their value, unless this client closes first (a pool closes
   * the clone of a request that ended); then {@link close} gives their right back.
   */
  readonly #orphans = new Set<Flight>();
  #closed = false;

  constructor(flights: Flights, settings: ParsedOptions, readyFor: (bytes: string) => Connection) {
    this.#flights = flights;
    this.settings = settings;
    this.readyFor = readyFor;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  getOrSet(key: Key, factory: unknown, options: unknown): Promise<unknown> {
    try {
      if (this.#closed) throw new ClientClosedError();
      const request = parseRequest(key, factory, options, this.settings);
      if (request.signal?.aborted) throw new OperationAbortedError(request.signal.reason);
      const wire = this.settings.keyPrefix + request.bytes;
      let flight = this.#flights.get(wire);
      const start = flight === undefined;
      if (flight === undefined) {
        flight = new Flight(this.#flights, wire, request, this);
        this.#flights.set(wire, flight);
      }
      const caller = new Caller(this, request, flight);
      this.#callers.add(caller);
      const promise = caller.join();
      if (start) void flight.run();
      return promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  invalidate(key: Key, options: unknown): Promise<boolean> {
    try {
      if (this.#closed) throw new ClientClosedError();
      const bytes = keyBytes(key, this.settings.keyPrefix.length);
      const grace =
        options === undefined ? undefined : seconds(checkOptions(options, GRACE, 'invalidate()').grace, 'grace', 0, 0);
      const connection = this.readyFor(bytes);
      // T0 would make the stale item live for good: grace 0 deletes it, and no grace keeps its TTL.
      const flags = grace === undefined ? 'I' : grace === 0 ? '' : `I T${connection.writer.capped(grace)}`;
      connection.writer.metaDelete(this.settings.keyPrefix, bytes, flags);
      return connection.send(new Op('meta')) as Promise<boolean>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A call settled: it no longer needs rejecting on close. */
  settled(caller: Caller): void {
    this.#callers.delete(caller);
  }

  /** `flight` has no caller left and holds a right to refresh: give it back if this client closes first. */
  keep(flight: Flight): void {
    this.#orphans.add(flight);
  }

  /** `flight` stored its value or gave its right back. */
  forget(flight: Flight): void {
    this.#orphans.delete(flight);
  }

  /**
   * The client is closing: its calls reject with `ERR_CLIENT_CLOSED` at once. A refresh left
   * with no caller, then or before, gives its right back now, while the connections still
   * take commands: it could not store its value through this client later.
   */
  close(): void {
    this.#closed = true;
    const error = new ClientClosedError();
    for (const caller of [...this.#callers]) caller.leave(error);
    for (const flight of [...this.#orphans]) flight.giveBack();
  }
}

const GRACE = ['grace'];

/**
 * One getOrSet call waiting on its key's flight: it settles with the flight's outcome,
 * or alone, when its signal aborts, its client closes, or it waited `waitMs` for
 * another process's refresh.
 */
class Caller implements AbortWatcher {
  readonly refresher: Refresher;
  readonly request: Request;
  readonly flight: Flight;
  /** When `waitMs` runs out, counted from the call. */
  readonly deadline: number;
  #resolve: (value: unknown) => void = noop;
  #reject: (error: Error) => void = noop;
  #timer: NodeJS.Timeout | undefined = undefined;
  #settled = false;

  constructor(refresher: Refresher, request: Request, flight: Flight) {
    this.refresher = refresher;
    this.request = request;
    this.flight = flight;
    this.deadline = Date.now() + request.waitMs;
  }

  join(): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const { signal } = this.request;
    if (signal !== undefined) watchAbort(signal, this);
    this.flight.add(this);
    return promise;
  }

  aborted(reason: unknown): void {
    this.leave(new OperationAbortedError(reason));
  }

  /**
   * Starts the `waitMs` clock (the flight waits for another process's refresh). Kept ref'd
   * on purpose: the caller awaits this call, so the process must live until it settles.
   */
  wait(): void {
    if (this.#timer !== undefined || this.#settled) return;
    this.#timer = setTimeout(this.#onTimeout, Math.max(0, this.deadline - Date.now()));
  }

  /** This process won the refresh: the callers wait for its factory, not for the clock. */
  stopWaiting(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #onTimeout = (): void => {
    this.#timer = undefined;
    const { server } = this.flight;
    publish('timeout', this.request.key, server);
    this.leave(new WaitTimeoutError(server, this.request.waitMs, this.flight.request.lockTtl));
  };

  resolve(value: unknown): void {
    if (this.#end()) this.#resolve(value);
  }

  reject(error: Error): void {
    if (this.#end()) this.#reject(error);
  }

  /** Settles this call alone with `error`, and leaves the flight. */
  leave(error: Error): void {
    if (!this.#end()) return;
    this.#reject(error);
    this.flight.remove(this);
  }

  /** Clears what the call holds; false if it had settled already. */
  #end(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.stopWaiting();
    const { signal } = this.request;
    if (signal !== undefined) unwatchAbort(signal, this);
    this.refresher.settled(this);
    return true;
  }
}

/** Where a flight is: its first read, polling for another process's refresh, refreshing, or done. */
type Phase = 'reading' | 'waiting' | 'refreshing' | 'storing' | 'done';

/** The right to refresh a key this flight won: the CAS of the item won, where, and whether it had a value. */
interface Lease {
  readonly cas: bigint | undefined;
  /** The server the item was won on: a CAS means something on that server only. */
  readonly server: string;
  readonly hasValue: boolean;
  released: boolean;
}

/**
 * One key's getOrSet in this process, shared by every concurrent call for it (from any
 * clone): one read, then one of three ends. A value to serve settles every call. A win
 * runs the factory of the call that started the flight; with an old value, the other calls
 * are served it at once and only the starter waits for the factory. Nothing to serve while
 * another process refreshes: the flight polls with backoff (`mg … N<lockTtl>`, so that once
 * a dead winner's placeholder expires, a poll vivifies it again and wins) until a value
 * comes or every call has given up.
 *
 * Races, and why they are harmless: a call that gives up while the read or a poll is out
 * leaves the flight; the last one to leave abandons it (no more polls, the factory's signal
 * aborts). A late reply then finds nobody and changes nothing but the lease, which is
 * still stored or given back, so other processes need not wait for `lockTtl`.
 */
class Flight {
  readonly #flights: Flights;
  readonly #wire: string;
  /** The request of the call that started it: its factory and options are the ones used. */
  readonly request: Request;
  /** The client whose connections it uses: the starter's, until it closes. */
  #refresher: Refresher;
  readonly #callers = new Set<Caller>();
  #phase: Phase = 'reading';
  /** The key's server, for events and errors. */
  server = '';
  #waited = false;
  #abandoned = false;
  #lease: Lease | undefined = undefined;
  /** The factory's signal. */
  #controller: AbortController | undefined = undefined;
  #sleep: NodeJS.Timeout | undefined = undefined;
  #wake: () => void = noop;

  constructor(flights: Flights, wire: string, request: Request, refresher: Refresher) {
    this.#flights = flights;
    this.#wire = wire;
    this.request = request;
    this.#refresher = refresher;
  }

  add(caller: Caller): void {
    this.#callers.add(caller);
    if (this.#phase === 'waiting') caller.wait();
  }

  /** A call gave up. The last one out abandons the flight. */
  remove(caller: Caller): void {
    this.#callers.delete(caller);
    if (this.#callers.size === 0) this.#abandon();
  }

  /**
   * The client to send through: the starter's, or once it is closed, the client of a call
   * still waiting (a clone's). With none, the closed one: its connections still take the
   * commands its close() gives back a right with.
   */
  #route(): Refresher {
    if (!this.#refresher.isClosed) return this.#refresher;
    for (const caller of this.#callers) {
      if (!caller.refresher.isClosed) {
        this.#refresher = caller.refresher;
        break;
      }
    }
    return this.#refresher;
  }

  /** Reads, polls while another process refreshes, and ends in a value, a refresh, or an error. */
  async run(): Promise<void> {
    let delay = FIRST_POLL_MS;
    try {
      for (;;) {
        const item = await this.#read();
        if (this.#abandoned) {
          // Every call left while the read was out, and it won the right anyway: give it straight back.
          if (item?.win === true) {
            this.#lease = { cas: item.cas, server: this.server, hasValue: !isPlaceholder(item), released: false };
          }
          this.giveBack();
          return;
        }
        if (item === undefined || item.win) {
          await this.#win(item);
          return;
        }
        if (!isPlaceholder(item)) {
          this.#serve(item.value, item.stale || item.lost);
          return;
        }
        this.#startWaiting();
        await this.#pause(delay * (0.5 + Math.random() / 2));
        if (this.#abandoned) return;
        delay = Math.min(delay * 2, LAST_POLL_MS);
      }
    } catch (error) {
      this.#end();
      for (const caller of this.#takeCallers()) caller.reject(error as Error);
    }
  }

  #read(): Promise<MetaItem | undefined> {
    const { bytes, read } = this.request;
    const route = this.#route();
    const connection = route.readyFor(bytes);
    this.server = connection.server.label;
    connection.writer.metaGet(route.settings.keyPrefix, bytes, read);
    return connection.send(new Op('meta-get')) as Promise<MetaItem | undefined>;
  }

  #startWaiting(): void {
    if (this.#phase === 'waiting') return;
    this.#phase = 'waiting';
    if (!this.#waited) publish('wait', this.request.key, this.server);
    this.#waited = true;
    for (const caller of this.#callers) caller.wait();
  }

  /** Sleeps `ms`, or less if the flight is abandoned. Ref'd: callers await the result. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleep = setTimeout(resolve, ms);
    });
  }

  /** Settles every call with `value`, served as it is: fresh, or old while another caller refreshes it. */
  #serve(value: unknown, stale: boolean): void {
    this.#end();
    for (const caller of this.#takeCallers()) {
      if (stale) publish('stale', caller.request.key, this.server);
      caller.resolve(value);
    }
  }

  /**
   * This process won the right to refresh the key. With an old value, every call but the
   * starter is served it now, and the flight leaves the table so later calls read for
   * themselves (and are served the old value too); without one, every call waits for the factory.
   */
  async #win(item: MetaItem | undefined): Promise<void> {
    const hasValue = item !== undefined && !isPlaceholder(item);
    this.#lease = { cas: item?.cas, server: this.server, hasValue, released: false };
    this.#phase = 'refreshing';
    publish(this.#waited ? 'takeover' : 'win', this.request.key, this.server);
    for (const caller of this.#callers) caller.stopWaiting();
    const stale = hasValue ? item.value : undefined;
    if (hasValue) {
      this.#leaveTable();
      for (const caller of this.#callers) {
        if (caller.request === this.request) continue;
        this.#callers.delete(caller);
        publish('stale', caller.request.key, this.server);
        caller.resolve(stale);
      }
    }
    const controller = new AbortController();
    this.#controller = controller;
    if (this.#callers.size === 0) controller.abort();
    let encoded: Encoded;
    let value: unknown;
    try {
      value = await this.request.factory({ signal: controller.signal, stale });
      encoded = encodeValue(value, this.#route().settings);
    } catch (error) {
      publish('error', this.request.key, this.server, error);
      this.giveBack();
      this.#end();
      for (const caller of this.#takeCallers()) caller.reject(error as Error);
      return;
    }
    this.#store(value, encoded);
  }

  /**
   * Writes the refreshed value with the CAS of the item won, and settles every call (those
   * that joined meanwhile too) once memcached answered: when getOrSet resolves, every client
   * reads the new value. A store memcached refuses (the item changed since the win: an
   * invalidate, a set) or that fails is not retried; the callers get the value all the same.
   */
  #store(value: unknown, encoded: Encoded): void {
    this.#phase = 'storing';
    const lease = this.#lease!;
    const done = () => {
      this.#end();
      for (const caller of this.#takeCallers()) caller.resolve(value);
    };
    // Given back already: its client closed while the factory ran.
    if (lease.released) {
      done();
      return;
    }
    this.#release(lease);
    const { bytes, storeTtl } = this.request;
    let stored: Promise<unknown>;
    try {
      const route = this.#route();
      if (route.isClosed) throw new ClientClosedError();
      const connection = route.readyFor(bytes);
      // Without a CAS (memcached vivified nothing), or on another server than the one the item was won
      // on (setServers or failover moved the key meanwhile), add: never overwrite what another caller stored.
      const add = lease.cas === undefined || connection.server.label !== lease.server;
      const expires = connection.writer.capped(storeTtl);
      const flags = `T${expires} F${encoded.flags}${add ? ' ME' : ` C${lease.cas}`}`;
      connection.writer.metaSet(route.settings.keyPrefix, bytes, encoded, flags);
      stored = connection.send(new Op('meta'));
    } catch (error) {
      stored = Promise.reject(error);
    }
    stored.then(done, (error: unknown) => {
      publish('store-error', this.request.key, this.server, error);
      done();
    });
  }

  /**
   * Gives the right to refresh back at once, so that another caller wins without waiting for
   * `lockTtl`: deletes the placeholder, or marks the old value stale again (which hands W out
   * again and keeps the value and its TTL). Only while the item is still the one won (its CAS).
   */
  giveBack(): void {
    const lease = this.#lease;
    if (lease === undefined || lease.released) return;
    this.#release(lease);
    // Won on a miss memcached vivified nothing for: there is no item to give back.
    if (lease.cas === undefined) return;
    try {
      const { bytes } = this.request;
      const route = this.#route();
      const connection = route.readyFor(bytes);
      // The key moved to another server meanwhile: the right lapses on the old one, which is no longer asked.
      if (connection.server.label !== lease.server) return;
      connection.writer.metaDelete(
        route.settings.keyPrefix,
        bytes,
        lease.hasValue ? `I C${lease.cas}` : `C${lease.cas}`,
      );
      connection.send(new Op('meta')).catch(noop);
    } catch {
      // The server cannot take it now: the right lapses with the placeholder's lockTtl, or the value's grace.
    }
  }

  /** Every call left. Polling stops and the factory's signal aborts; a refresh still stores its value. */
  #abandon(): void {
    if (this.#abandoned || this.#phase === 'storing' || this.#phase === 'done') return;
    this.#abandoned = true;
    this.#leaveTable();
    if (this.#sleep !== undefined) clearTimeout(this.#sleep);
    this.#wake();
    this.#controller?.abort(new OperationAbortedError('every caller of this getOrSet gave up'));
    // A refresh cannot store through a closed client: the right goes back now if it is closing,
    // or when it closes, if that comes first (no caller is left to route through another client).
    const route = this.#route();
    if (route.isClosed) this.giveBack();
    else if (this.#lease !== undefined) route.keep(this);
  }

  /** Marks the right used (stored) or given back: nothing else may be done with it. */
  #release(lease: Lease): void {
    lease.released = true;
    this.#refresher.forget(this);
  }

  #leaveTable(): void {
    if (this.#flights.get(this.#wire) === this) this.#flights.delete(this.#wire);
  }

  #end(): void {
    this.#phase = 'done';
    this.#leaveTable();
  }

  /** Empties the call list and returns what it held. */
  #takeCallers(): Caller[] {
    const callers = [...this.#callers];
    this.#callers.clear();
    return callers;
  }
}

function noop(): void {}
