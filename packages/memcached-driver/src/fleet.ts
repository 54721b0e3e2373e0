import type { AsyncResource } from 'node:async_hooks';
import { channels, type TopologyChange } from './diagnostics.js';
import { type ClusterConfig, Discovery } from './discovery.js';
import { createDistribution, type Distribution } from './distribution/index.js';
import { ConnectionError, InvalidServerError } from './errors.js';
import type { Flights } from './get-or-set.js';
import { type ParsedOptions, parseOptions } from './options.js';
import { ServerCounters, type ServerStats } from './server-stats.js';
import { parseServers, type ServerAddress } from './servers.js';

/** One version of a fleet's server list, with its ring: made once per change, shared by every client of the fleet. */
export interface Layout {
  readonly servers: readonly ServerAddress[];
  /** The ring over the servers; `undefined` for one server, which owns every key. */
  readonly distribution: Distribution | undefined;
}

/** What a fleet asks of each client that follows it (the client's {@link Topology}). */
export interface Follower {
  /** Routes by `layout` from now on; resolves once the connections of the servers that left have closed. */
  adopt(layout: Layout): Promise<void>;
  /** Announces a change the follower has adopted. */
  changed(change: TopologyChange): void;
  /** Reports a discovery failure. */
  failed(error: Error): void;
  /** Whether the server labelled `label` is off this client's ring now. */
  isOff(label: string): boolean;
}

/**
 * What a client and all its clones share: the options, parsed once; the server list, as
 * one {@link Layout} replaced whole when it changes; the counters of each server; and the
 * discovery poller. Every client follows the fleet it was made with (a clone, its
 * master's), so one `setServers` or one discovery answer changes them all, and a pool of
 * clones moves with its master. It also holds getOrSet's refreshes in flight.
 *
 * The fleet holds its followers weakly: a client dropped without `close()` can still be
 * collected, and is forgotten when it is.
 */
export class Fleet {
  readonly options: ParsedOptions;
  /** getOrSet's refreshes in flight in this process: clones share them. */
  readonly flights: Flights = new Map();
  /** The gutter servers' ring; `undefined` without a gutter or with one gutter server. */
  readonly gutterRing: Distribution | undefined;
  #layout: Layout;
  readonly #followers = new Set<WeakRef<Follower>>();
  readonly #forget = new FinalizationRegistry<WeakRef<Follower>>((ref) => this.#followers.delete(ref));
  readonly #counters = new Map<string, ServerCounters>();
  readonly #discovery: Discovery | undefined;

  /**
   * @param servers - The server list as the client was given it; with `discovery` it may be empty.
   * @param options - The client options, unparsed.
   * @param owner - The async context of the client that made the fleet, where the discovery poller runs.
   */
  constructor(servers: unknown, options: unknown, owner: AsyncResource) {
    const empty = (Array.isArray(servers) && servers.length === 0) || servers === '';
    const list = empty ? [] : parseServers(servers);
    this.options = parseOptions(options);
    const { discovery, gutter } = this.options;
    if (empty && discovery === undefined) throw new InvalidServerError('', 'the server list is empty');
    this.#checkGutter(list);
    this.#layout = this.#layoutOf(list);
    const gutterServers = gutter?.servers ?? [];
    this.gutterRing = gutterServers.length > 1 ? this.#ringOf(gutterServers) : undefined;
    this.#discovery =
      discovery === undefined
        ? undefined
        : new Discovery(discovery, this.options, owner, {
            found: (config) => this.#discovered(config),
            failed: (error) => this.#tell((follower) => follower.failed(error)),
          });
  }

  /** The server list now. */
  get layout(): Layout {
    return this.#layout;
  }

  /** Adds a client; the first one starts the discovery poller. Returns what {@link unfollow} takes. */
  follow(follower: Follower): WeakRef<Follower> {
    const ref = new WeakRef(follower);
    this.#followers.add(ref);
    this.#forget.register(follower, ref, ref);
    this.#discovery?.start();
    return ref;
  }

  /** Removes a closed client; when none is left, the discovery poller stops. */
  unfollow(ref: WeakRef<Follower>): void {
    this.#followers.delete(ref);
    this.#forget.unregister(ref);
    if (this.#followers.size === 0) this.#discovery?.stop();
  }

  /** The counters of the server labelled `label`, shared by every client of the fleet. */
  counters(label: string, gutter: boolean): ServerCounters {
    let counters = this.#counters.get(label);
    if (counters === undefined) {
      counters = new ServerCounters(gutter);
      this.#counters.set(label, counters);
    }
    return counters;
  }

  /**
   * Makes `servers` the fleet's list: every client routes by it from now on, then each
   * announces the change. Throws before anything changes when the list cannot be used.
   * Resolves once the connections to servers that left have closed.
   */
  apply(servers: readonly ServerAddress[], source: TopologyChange['source']): Promise<void> {
    const before = this.#layout.servers;
    this.#checkGutter(servers);
    if (sameList(before, servers)) return Promise.resolve();
    this.#layout = this.#layoutOf(servers);
    const followers = this.#live();
    const drained = followers.map((follower) => follower.adopt(this.#layout));
    const labels = new Set(servers.map((server) => server.label));
    const previous = new Set(before.map((server) => server.label));
    const removed = [...previous].filter((label) => !labels.has(label));
    for (const label of removed) this.#counters.delete(label);
    const change: TopologyChange = Object.freeze({
      servers: Object.freeze([...servers.map((server) => server.label)]),
      added: Object.freeze([...labels].filter((label) => !previous.has(label))),
      removed: Object.freeze(removed),
      source,
    });
    if (channels.topology.hasSubscribers) channels.topology.publish(change);
    for (const follower of followers) follower.changed(change);
    return Promise.all(drained).then(noop);
  }

  /** Each server's figures, gutter servers last, summed over every client of the fleet. */
  stats(): Map<string, ServerStats> {
    const followers = this.#live();
    const stats = new Map<string, ServerStats>();
    const servers = [...this.#layout.servers, ...(this.options.gutter?.servers ?? [])];
    servers.forEach((server, i) => {
      const gutter = i >= this.#layout.servers.length;
      const off = gutter ? 0 : followers.filter((follower) => follower.isOff(server.label)).length;
      stats.set(server.label, this.counters(server.label, gutter).snapshot(off));
    });
    return stats;
  }

  /** Refuses a list that names a gutter server: a server is in the list or in the gutter, not both. */
  #checkGutter(servers: readonly ServerAddress[]): void {
    const gutter = new Set(this.options.gutter?.servers.map((server) => server.label));
    const shared = servers.find((server) => gutter.has(server.label));
    if (shared !== undefined) throw new InvalidServerError(shared.label, 'it is one of the gutter servers');
  }

  #discovered(config: ClusterConfig): void {
    try {
      const servers = parseServers(config.servers);
      // What is left to wait for is the old connections' drain, which cannot fail.
      void this.apply(servers, 'discovery');
    } catch (error) {
      this.#tell((follower) => follower.failed(error as Error));
    }
  }

  #tell(call: (follower: Follower) => void): void {
    for (const follower of this.#live()) call(follower);
  }

  /** The followers still alive. */
  #live(): Follower[] {
    const live: Follower[] = [];
    for (const ref of this.#followers) {
      const follower = ref.deref();
      if (follower === undefined) this.#followers.delete(ref);
      else live.push(follower);
    }
    return live;
  }

  #layoutOf(servers: readonly ServerAddress[]): Layout {
    if (servers.length === 0) {
      const endpoint = this.options.discovery?.endpoint.label ?? 'the configuration endpoint';
      return Object.freeze({ servers, distribution: new NoServers(endpoint) });
    }
    return Object.freeze({ servers, distribution: servers.length === 1 ? undefined : this.#ringOf(servers) });
  }

  #ringOf(servers: readonly ServerAddress[]): Distribution {
    return createDistribution(servers, this.options.distribution, { hash: this.options.hash });
  }
}

/** The ring of a client that has no server yet (it waits for discovery): every command fails at once. */
class NoServers implements Distribution {
  readonly #endpoint: string;
  constructor(endpoint: string) {
    this.#endpoint = endpoint;
  }
  serverFor(): number {
    throw new ConnectionError(this.#endpoint, 'no server list yet: the discovery endpoint has not answered');
  }
}

/** Whether two lists name the same servers, with the same weights, in the same order. */
function sameList(a: readonly ServerAddress[], b: readonly ServerAddress[]): boolean {
  return (
    a.length === b.length && a.every((server, i) => server.label === b[i]!.label && server.weight === b[i]!.weight)
  );
}

function noop(): void {}
