import type { AsyncResource } from 'node:async_hooks';
import { Buffer } from 'node:buffer';
import { Connection, type ConnectionEvents, type Traffic } from './connection.js';
import { createDistribution, type Distribution } from './distribution/index.js';
import { Failover, type FailoverHooks, type Health, UP } from './failover.js';
import { Op } from './ops.js';
import type { ParsedOptions } from './options.js';
import type { ServerAddress } from './servers.js';

/** The servers and options a topology is made from: parsed once, shared by a client and its clones. */
export interface Layout {
  readonly servers: readonly ServerAddress[];
  readonly options: ParsedOptions;
  /** The ring over every server; `undefined` for one server, which owns every key. */
  readonly distribution: Distribution | undefined;
}

/** The events of a topology's connections and failover, which the client turns into its own. */
export interface TopologyEvents extends ConnectionEvents, Pick<FailoverHooks, 'eject' | 'rejoin'> {}

/** One server of a client: where it is, its connection (made by the first command that needs it) and its health. */
export class Member {
  readonly server: ServerAddress;
  /** Its index in the server list, which the ring answers with. */
  readonly index: number;
  connection: Connection | undefined = undefined;
  /** Read and changed by {@link Failover} only. */
  health: Health = UP;

  constructor(server: ServerAddress, index: number) {
    this.server = server;
    this.index = index;
  }
}

/**
 * Where a client's commands go: its servers, each with its connection and health, and the
 * ring that picks a server for a key, without the servers failover took off. Every route
 * goes through it, so a client could swap it for another (new servers, a new ring) whole.
 */
export class Topology {
  readonly members: readonly Member[];
  readonly #layout: Layout;
  readonly #failover: Failover;
  readonly #events: ConnectionEvents;
  readonly #owner: AsyncResource;
  /** How many of the connections owe replies. */
  readonly #traffic: Traffic = { owing: 0 };
  /** The ring in use: the layout's, or one without the servers that are off. */
  #ring: Distribution | undefined;

  constructor(layout: Layout, events: TopologyEvents, owner: AsyncResource) {
    this.#layout = layout;
    this.#events = events;
    this.#owner = owner;
    this.#ring = layout.distribution;
    this.members = Object.freeze(layout.servers.map((server, index) => new Member(server, index)));
    this.#failover = new Failover(
      this.members,
      layout.options,
      {
        eject: events.eject,
        rejoin: events.rejoin,
        ringChanged: () => this.#rebuild(),
        probe: (member) => this.#probe(member),
      },
      owner,
    );
  }

  /** The connection of the server that owns `key` (its bytes as latin1, without the prefix). */
  connectionFor(key: string): Connection {
    const ring = this.#ring;
    const member = ring === undefined ? this.members[0]! : this.members[ring.serverFor(Buffer.from(key, 'latin1'))]!;
    return member.connection ?? this.#open(member);
  }

  /** Every server's connection, in the order of the server list. */
  all(): Connection[] {
    return this.members.map((member) => member.connection ?? this.#open(member));
  }

  /** Stops failover, then closes every connection once what it has in flight is done. */
  close(): Promise<void> {
    this.#failover.close();
    return Promise.all(this.members.map((member) => member.connection?.close())).then(() => undefined);
  }

  #open(member: Member): Connection {
    const { options } = this.#layout;
    const connection = new Connection(member, options, this.#events, this.#failover, this.#owner, this.#traffic);
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
    const { servers, options, distribution } = this.#layout;
    const off = new Set<number>();
    for (const member of this.members) {
      if (member.health.state === 'ejected' || member.health.state === 'probing') off.add(member.index);
    }
    this.#ring =
      off.size === 0
        ? distribution
        : createDistribution(servers, options.distribution, { hash: options.hash, ejected: off });
  }
}
