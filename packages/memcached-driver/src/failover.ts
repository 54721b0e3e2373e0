import type { AsyncResource } from 'node:async_hooks';
import { channels } from './diagnostics.js';
import { ConnectionError } from './errors.js';
import type { ParsedOptions } from './options.js';
import type { Member } from './topology.js';

/**
 * The health of one server, as one of four states:
 *
 * - `up`: no failure since the last connection that kept answering.
 * - `suspect`: `failures` in a row; after a failed connect or a timeout the server is also
 *   left alone until `restUntil` (now + `retryTimeoutMs`): commands for it fail at once
 *   rather than wait on a dead server, with or without `removeFailed`.
 * - `ejected`: off the ring since `since`; its keys go to the other servers, and at `until`
 *   a probe (`version`) asks whether it is back. It is left alone until then.
 * - `probing`: still off the ring; the probe is out.
 *
 * | from | on | to | in |
 * |---|---|---|---|
 * | up, suspect | a failure | suspect, one failure more | {@link Failover.failed} |
 * | up, suspect | the `removeFailed`-th failure in a row (when ejecting, and another server is on the ring) | ejected | {@link Failover.failed} |
 * | suspect | a connection kept answering for longer than `timeoutMs` | up | {@link Failover.answered} |
 * | ejected | its `until` | probing | `#probeDue` |
 * | probing | the probe answered | up, back on the ring | `#probeAnswered` |
 * | probing | the probe failed | ejected for another `retryTimeoutMs` | `#probeFailed` |
 * | ejected, probing | a failure, or replies | (no change) | |
 */
export type Health =
  | { readonly state: 'up' }
  | { readonly state: 'suspect'; readonly failures: number; readonly restUntil: number }
  | { readonly state: 'ejected'; readonly since: number; readonly until: number }
  | { readonly state: 'probing'; readonly since: number };

/** The health of a server nothing is known against. */
export const UP: Health = Object.freeze({ state: 'up' });

/** Whether a server in `health` is off the ring (its keys go elsewhere). */
export function isOff(health: Health): boolean {
  return health.state === 'ejected' || health.state === 'probing';
}

/** What failover tells its client, and asks of it. */
export interface FailoverHooks {
  /** `server` left the ring after `error`, the last failure of its streak. */
  eject(server: string, error: Error): void;
  /** `server` answered its probe and is back on the ring. */
  rejoin(server: string): void;
  /** The servers on the ring changed: rebuild it without those that are off. */
  ringChanged(): void;
  /** Sends the probe (`version`) to `member`; settles when it is answered or has failed. */
  probe(member: Member): Promise<unknown>;
}

/**
 * Server health for one client: the one home of both clocks, the rest after a failure
 * and the ejection. Connections ask it whether they may connect ({@link Failover.mayConnect})
 * and report to it how their servers did ({@link Failover.answered}, {@link Failover.failed});
 * it moves each server between the states of {@link Health}, every transition in one of
 * its methods, and announces ejections and returns. It lives as long as its client, and
 * {@link Failover.watch} tells it the servers of each new server list.
 *
 * Ejection is libmemcached's auto-eject: with `removeFailed` on a ketama ring of several
 * servers, `removeFailed` failures in a row take a server off the ring for
 * `retryTimeoutMs`, then a probe puts it back once it answers. Modula never ejects (as
 * libmemcached: its keys would all move), and one server always stays on the ring. With a
 * `gutter`, the ring does not change: an ejected server's keys go to the gutter servers, so
 * any server of any distribution may be ejected, all of them too; gutter servers never are.
 */
export class Failover {
  /** The servers of the current list, then the gutter servers. */
  #members: readonly Member[] = [];
  #current: ReadonlySet<Member> = new Set();
  /** How many of `#members` are the list's (the rest are gutter servers). */
  #count = 0;
  readonly #options: ParsedOptions;
  readonly #hooks: FailoverHooks;
  /** The owning client's async context, where the probe timer is made. */
  readonly #owner: AsyncResource;
  /** Whether failures take a server off the ring. */
  #ejects = false;
  /** How many servers are off the ring (ejected or probing). */
  #off = 0;
  /** The timer of the next probe, and when it fires. */
  #timer: NodeJS.Timeout | undefined = undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: ParsedOptions, hooks: FailoverHooks, owner: AsyncResource) {
    this.#options = options;
    this.#hooks = hooks;
    this.#owner = owner;
  }

  /**
   * The server list changed: `members` are its servers (the first `count`, each with the health
   * it had if it was in the list before), then the gutter servers. Failures of a server that left
   * the list, whose connection may still drain, and the answer of its probe change nothing now.
   *
   * Race: the new list may leave no server on the ring (every server that stays is ejected), or
   * no longer eject at all (one server left, or modula without a gutter). Those servers go back
   * on the ring as suspects left alone until their probe was due, as a failed connect leaves a
   * server alone: their commands fail at once until then, and then connect again.
   */
  watch(members: readonly Member[], count: number): void {
    const options = this.#options;
    const gutter = options.gutter !== undefined;
    this.#members = members;
    this.#current = new Set(members);
    this.#count = count;
    this.#ejects = options.removeFailed > 0 && (gutter || (count > 1 && options.distribution !== 'modula'));
    let off = 0;
    for (let i = 0; i < count; i++) if (isOff(members[i]!.health)) off++;
    if (off > 0 && (!this.#ejects || (off === count && !gutter))) {
      const now = Date.now();
      for (let i = 0; i < count; i++) {
        const member = members[i]!;
        const health = member.health;
        if (!isOff(health)) continue;
        const restUntil = health.state === 'ejected' ? health.until : now + options.retryTimeoutMs;
        member.health = { state: 'suspect', failures: options.removeFailed, restUntil };
      }
      off = 0;
    }
    this.#off = off;
  }

  /**
   * Why a connection to `member` may not be made now, or `undefined` when it may. A server
   * is left alone after a failed connect or a timeout, and while ejected, until its clock
   * runs out; a probing server is being connected to by the probe.
   */
  mayConnect(member: Member): Error | undefined {
    const health = member.health;
    let until: number;
    if (health.state === 'suspect') until = health.restUntil;
    else if (health.state === 'ejected') until = health.until;
    else return undefined;
    if (until <= Date.now()) return undefined;
    return new ConnectionError(
      member.server.label,
      `the server failed less than retryTimeoutMs (${this.#options.retryTimeoutMs} ms) ago and is left alone until then`,
    );
  }

  /**
   * Reply bytes came at `now` on a connection to `member` whose first reply came at `since`;
   * returns whether the connection has now proven the server works, so it need not report again.
   *
   * One reply proves little: a server that answers the first command of every new connection
   * and then stalls would otherwise end its failure streak on each reconnect and never be
   * ejected. A connection proves the server once replies have kept coming for longer than one
   * `timeoutMs` (a reply more than `timeoutMs` after its first), which no stalled connection
   * does, since a stall fails it by `timeoutMs`. A server used so rarely that a connection
   * answers once keeps its streak until one does. Off the ring, only the probe decides.
   */
  answered(member: Member, since: number, now: number): boolean {
    if (now - since <= this.#options.timeoutMs) return false;
    if (member.health.state === 'suspect') member.health = UP;
    return true;
  }

  /**
   * A connection to `member` failed with `error`: a refused or timed-out connect, a timeout,
   * or a reset that cut operations off. With `rest` (a failed connect or a timeout) the server
   * is left alone for `retryTimeoutMs`.
   */
  failed(member: Member, error: Error, rest: boolean): void {
    // Race: a server that left the list fails while its connection drains. It is not routed to any more.
    if (this.#closed || !this.#current.has(member)) return;
    const health = member.health;
    // Race: a server off the ring fails again (the probe's connection, or a server-wide command's).
    // That changes nothing: it is off already, and the probe's own outcome moves it.
    if (health.state === 'ejected' || health.state === 'probing') return;
    const now = Date.now();
    const failures = health.state === 'suspect' ? health.failures + 1 : 1;
    // At least one server stays on the ring, as libmemcached keeps one: this one keeps counting,
    // and is ejected by its next failure once another is back. With a gutter every one may go.
    if (this.#ejects && failures >= this.#options.removeFailed && this.#mayEject(member)) {
      this.#eject(member, error, now);
    } else {
      member.health = { state: 'suspect', failures, restUntil: rest ? now + this.#options.retryTimeoutMs : 0 };
    }
  }

  /** Whether `member` may leave the ring now: not a gutter server, and not the last one on the ring without a gutter. */
  #mayEject(member: Member): boolean {
    if (member.gutter) return false;
    return this.#options.gutter !== undefined || this.#off < this.#count - 1;
  }

  /** Stops every transition and the probe timer (the client is closing). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** suspect → ejected. */
  #eject(member: Member, error: Error, now: number): void {
    const until = now + this.#options.retryTimeoutMs;
    member.health = { state: 'ejected', since: now, until };
    member.counters.ejections++;
    this.#off++;
    this.#wakeAt(until);
    this.#hooks.ringChanged();
    const server = member.server.label;
    if (channels.eject.hasSubscribers) channels.eject.publish({ server, error, retryAt: until });
    this.#hooks.eject(server, error);
  }

  /** ejected → probing, for every server whose time is up; then waits for the next. */
  readonly #probeDue = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const member of this.#members) {
      const health = member.health;
      if (health.state !== 'ejected') continue;
      if (health.until > now) {
        next = Math.min(next, health.until);
        continue;
      }
      // One probe at a time: commands meanwhile keep going to the other servers, so a server that
      // is still down fails only the probe.
      member.health = { state: 'probing', since: health.since };
      this.#hooks.probe(member).then(
        () => this.#probeAnswered(member),
        () => this.#probeFailed(member),
      );
    }
    this.#wakeAt(next);
  };

  /**
   * probing → up. Races: close() came while the probe was out (its reply still comes, as
   * close() lets commands in flight finish), or the server left the list: the server stays off
   * and nothing is announced.
   * A failure reported while probing changed nothing: the answer is what counts.
   */
  #probeAnswered(member: Member): void {
    const health = member.health;
    if (this.#closed || health.state !== 'probing' || !this.#current.has(member)) return;
    member.health = UP;
    this.#off--;
    this.#hooks.ringChanged();
    const server = member.server.label;
    if (channels.rejoin.hasSubscribers) channels.rejoin.publish({ server, downMs: Date.now() - health.since });
    this.#hooks.rejoin(server);
  }

  /** probing → ejected for another `retryTimeoutMs`. */
  #probeFailed(member: Member): void {
    const health = member.health;
    if (this.#closed || health.state !== 'probing' || !this.#current.has(member)) return;
    const until = Date.now() + this.#options.retryTimeoutMs;
    member.health = { state: 'ejected', since: health.since, until };
    this.#wakeAt(until);
  }

  /** Makes sure the probe timer fires by `at` (ms since the epoch). Unref'd: it never holds the process. */
  #wakeAt(at: number): void {
    if (at >= this.#timerAt || this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    const timer: NodeJS.Timeout = this.#owner.runInAsyncScope(
      setTimeout,
      null,
      this.#probeDue,
      Math.max(0, at - Date.now()),
    );
    this.#timer = timer.unref();
  }
}
