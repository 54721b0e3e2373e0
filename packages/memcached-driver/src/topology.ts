import type { AsyncResource } from 'node:async_hooks';
import { Buffer } from 'node:buffer';
import type { MultiCommand } from './client.js';
import { Connection, type ConnectionEvents, type Traffic } from './connection.js';
import type { TopologyChange } from './diagnostics.js';
import { createDistribution, type Distribution } from './distribution/index.js';
import { Failover, type FailoverHooks, type Health, isOff, UP } from './failover.js';
import type { FanoutOwner } from './fanout.js';
import type { Fleet, Follower, Layout } from './fleet.js';
import { GutterRing } from './gutter.js';
import { Op } from './ops.js';
import type { ServerCounters } from './server-stats.js';
import type { ServerAddress } from './servers.js';

/** The events of a topology's connections, failover and fleet, which the client turns into its own. */
export interface TopologyEvents extends ConnectionEvents, Pick<FailoverHooks, 'eject' | 'rejoin'> {
  /** A multi-key command went on without `server`, whose share failed. */
  partial(server: string, error: Error, command: MultiCommand): void;
  /** The fleet's server list changed, and this client routes by the new one. */
  topology(change: TopologyChange): void;
}

/**
 * One server of a client: where it is, its connection (made by the first command that needs
 * it), its health and the fleet's counters for it. A server that stays in the list when it
 * changes keeps its member, so its connection and health carry over.
 */
export class Member {
  readonly server: ServerAddress;
  /** Whether it is a gutter server (never ejected; takes the keys of ejected servers). */
  readonly gutter: boolean;
  /** The counters of its server, shared by the fleet's clients. */
  readonly counters: ServerCounters;
  connection: Connection | undefined = undefined;
  /** Read and changed by {@link Failover} only. */
  health: Health = UP;

  constructor(server: ServerAddress, gutter: boolean, counters: ServerCounters) {
    this.server = server;
    this.gutter = gutter;
    this.counters = counters;
  }
}

/**
 * One version of where keys go: a layout's servers, each with its member, then the gutter
 * servers, and the ring in use. Replaced whole when the server list changes, so a command
 * is routed by one list or the other, never by a mix.
 */
class Placement {
  readonly layout: Layout;
  /** The layout's servers in its order, then the gutter's. */
  readonly members: readonly Member[];
  /** How many of `members` are the layout's. */
  readonly count: number;
  /** The ring in use: the layout's, or one without the servers that are off (or sending theirs to the gutter). */
  ring: Distribution | undefined = undefined;

  constructor(layout: Layout, members: readonly Member[], count: number) {
    this.layout = layout;
    this.members = members;
    this.count = count;
  }
}

/**
 * Where a client's commands go: its servers, each with its connection and health, and the
 * ring that picks a server for a key, without the servers failover took off. It follows its
 * {@link Fleet}: when the fleet's server list changes it builds a new placement, carrying
 * over the member of every server that stays, swaps it in with one assignment, then closes
 * the connections of the servers that left once what they have in flight is done.
 * Commands already sent finish where they were sent (a multi-key command holds the
 * connections it picked); nothing is sent twice.
 */
export class Topology implements FanoutOwner, Follower {
  readonly #fleet: Fleet;
  readonly #failover: Failover;
  readonly #events: TopologyEvents;
  readonly #owner: AsyncResource;
  /** How many of the connections owe replies. */
  readonly #traffic: Traffic = { owing: 0 };
  readonly #gutter: readonly Member[];
  readonly #following: WeakRef<Follower>;
  #placement: Placement;

  constructor(fleet: Fleet, events: TopologyEvents, owner: AsyncResource) {
    this.#fleet = fleet;
    this.#events = events;
    this.#owner = owner;
    this.#failover = new Failover(
      fleet.options,
      {
        eject: events.eject,
        rejoin: events.rejoin,
        ringChanged: () => this.#rebuild(),
        probe: (member) => this.#probe(member),
      },
      owner,
    );
    this.#gutter = (fleet.options.gutter?.servers ?? []).map(
      (server) => new Member(server, true, fleet.counters(server.label, true)),
    );
    this.#placement = this.#place(fleet.layout, []).placement;
    this.#following = fleet.follow(this);
  }

  /** The connection of the server that owns `key` (its bytes as latin1, without the prefix). */
  connectionFor(key: string): Connection {
    const placement = this.#placement;
    const ring = placement.ring;
    const member =
      ring === undefined ? placement.members[0]! : placement.members[ring.serverFor(Buffer.from(key, 'latin1'))]!;
    return member.connection ?? this.#open(member);
  }

  /** Every server's connection, gutter servers last, in the order of the server list. */
  all(): Connection[] {
    return this.#placement.members.map((member) => member.connection ?? this.#open(member));
  }

  /** The servers of the list, as `host:port` or socket paths. */
  get servers(): readonly string[] {
    const { members, count } = this.#placement;
    return members.slice(0, count).map((member) => member.server.label);
  }

  /** Whether a multi-key command goes on without a failed server: `removeFailed` with several servers. */
  get partialMulti(): boolean {
    return this.#fleet.options.removeFailed > 0 && this.#placement.count > 1;
  }

  /** How many servers the list has. */
  get serverCount(): number {
    return this.#placement.count;
  }

  partial(server: string, error: Error, command: MultiCommand): void {
    this.#events.partial(server, error, command);
  }

  /** Routes by `layout` from now on; resolves once the connections of the servers that left have closed. */
  adopt(layout: Layout): Promise<void> {
    const { count, members } = this.#placement;
    const { placement, dropped } = this.#place(layout, members.slice(0, count));
    // The swap: commands from here on are routed by the new list.
    this.#placement = placement;
    return Promise.all(dropped.map((member) => member.connection?.close())).then(noop);
  }

  changed(change: TopologyChange): void {
    this.#events.topology(change);
  }

  failed(error: Error): void {
    this.#events.error(error);
  }

  isOff(label: string): boolean {
    const { members, count } = this.#placement;
    for (let i = 0; i < count; i++) if (members[i]!.server.label === label && isOff(members[i]!.health)) return true;
    return false;
  }

  /** Stops failover and following the fleet, then closes every connection once what it has in flight is done. */
  close(): Promise<void> {
    this.#fleet.unfollow(this.#following);
    this.#failover.close();
    return Promise.all(this.#placement.members.map((member) => member.connection?.close())).then(noop);
  }

  /**
   * The placement of `layout`, each server with the member it had among `previous` (matched
   * by label) or a new one; and the members of `previous` that are not in it any more.
   */
  #place(layout: Layout, previous: readonly Member[]): { placement: Placement; dropped: Member[] } {
    const kept = new Map<string, Member[]>();
    for (const member of previous) {
      const same = kept.get(member.server.label);
      if (same === undefined) kept.set(member.server.label, [member]);
      else same.push(member);
    }
    const fleet = this.#fleet;
    const members = layout.servers.map(
      (server) => kept.get(server.label)?.shift() ?? new Member(server, false, fleet.counters(server.label, false)),
    );
    const dropped = [...kept.values()].flat();
    const all = this.#gutter.length === 0 ? members : [...members, ...this.#gutter];
    this.#failover.watch(all, members.length);
    const placement = new Placement(layout, all, members.length);
    placement.ring = this.#ringOf(placement);
    return { placement, dropped };
  }

  #open(member: Member): Connection {
    const connection = new Connection(
      member,
      this.#fleet.options,
      this.#events,
      this.#failover,
      this.#owner,
      this.#traffic,
    );
    const ttl = member.gutter ? this.#fleet.options.gutter?.ttl : undefined;
    if (ttl !== undefined) connection.writer.capTtl(ttl);
    member.connection = connection;
    return connection;
  }

  /** Asks an ejected server for its version, on its own connection. */
  #probe(member: Member): Promise<unknown> {
    const connection = member.connection ?? this.#open(member);
    const refused = connection.ready();
    if (refused !== undefined) return Promise.reject(refused);
    connection.writer.version();
    return connection.send(new Op('version'));
  }

  #rebuild(): void {
    const placement = this.#placement;
    placement.ring = this.#ringOf(placement);
  }

  /** The ring of `placement` now: the layout's, or one that leaves out (or sends to the gutter) the servers that are off. */
  #ringOf(placement: Placement): Distribution | undefined {
    const { layout, members, count } = placement;
    let off: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      if (!isOff(members[i]!.health)) continue;
      off ??= new Uint8Array(count);
      off[i] = 1;
    }
    if (off === undefined) return layout.distribution;
    const { options, gutterRing } = this.#fleet;
    if (options.gutter !== undefined) return new GutterRing(layout.distribution, off, gutterRing, count);
    const ejected = new Set<number>();
    for (let i = 0; i < count; i++) if (off[i] === 1) ejected.add(i);
    return createDistribution(layout.servers, options.distribution, { hash: options.hash, ejected });
  }
}

function noop(): void {}
