import type { AsyncResource } from 'node:async_hooks';
import type { Socket } from 'node:net';
import { checkOptions, InvalidArgumentError, MAX_TIMER_MS } from '@clonepool/core';
import { ConnectionError, ProtocolError, TimeoutError } from './errors.js';
import type { ParsedOptions } from './options.js';
import { parseServer, type ServerAddress } from './servers.js';
import { openSocket } from './socket.js';

/**
 * The `discovery` option: read the server list from a configuration endpoint
 * with `config get cluster`, the auto-discovery protocol of AWS ElastiCache
 * (and of services compatible with it), and follow it as it changes.
 *
 * The client asks the endpoint at once, then every `intervalMs`, on a short
 * connection of its own (with the client's `tls`, `connectTimeoutMs` and
 * `timeoutMs`). When the answer's config version is newer than the last one
 * applied, its node list becomes the client's server list, as
 * {@link Client.setServers} would make it (the `topology` event says so). An
 * endpoint that cannot be reached, or answers anything else, leaves the last
 * good list in place and is reported by the `error` event; the next poll tries
 * again. Polling runs while any client of the fleet (the client or a clone of
 * it) is open, and never keeps the process alive between polls.
 *
 * A node is named by its host name, as the AWS clients name it (its IP address
 * when the host name is empty): the name, not the address, places its keys, so
 * a node that is replaced under the same name keeps its share of the ring.
 *
 * Start with no servers (`[]`): commands then reject with
 * `ERR_MEMCACHED_CONNECTION` until the first list has come; wait for it with
 * `once(client, 'topology')`, which also rejects if the first poll fails.
 *
 * @example
 * ```ts
 * import { once } from 'node:events';
 * import { createServer } from 'node:net';
 * import { Client, type DiscoveryOptions } from '@clonepool/memcached';
 *
 * // A stand-in for an ElastiCache configuration endpoint, naming the real servers.
 * const nodes = (process.env.MEMCACHED_SERVERS ?? 'localhost:11211,localhost:11212').split(',');
 * const list = `1\n${nodes.map((node) => `${node.split(':')[0]}||${node.split(':')[1]}`).join(' ')}\n`;
 * const endpoint = createServer((socket) =>
 *   socket.on('data', () => socket.write(`CONFIG cluster 0 ${list.length}\r\n${list}\r\nEND\r\n`)),
 * );
 * await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
 * const { port } = endpoint.address() as { port: number };
 *
 * const discovery: DiscoveryOptions = { endpoint: `127.0.0.1:${port}`, intervalMs: 60_000 };
 * const client = new Client([], { distribution: 'ketama', discovery });
 * await once(client, 'topology');
 * console.log(client.servers.length === nodes.length);
 * await client.set('doc:discovered', 'yes');
 * console.log(await client.get('doc:discovered'));
 * await client.close();
 * endpoint.close();
 * // → true
 * // → yes
 * ```
 */
export interface DiscoveryOptions {
  /** The configuration endpoint, `host:port` (port 11211 when left out), such as ElastiCache's `name.xxxxxx.cfg.use1.cache.amazonaws.com:11211`. */
  readonly endpoint: string;
  /**
   * How often to ask the endpoint, in milliseconds (at least 100). The AWS clients ask once a minute.
   * @default 60000
   */
  readonly intervalMs?: number;
}

/** The `discovery` option after validation. */
export interface ParsedDiscovery {
  readonly endpoint: ServerAddress;
  readonly intervalMs: number;
}

const DEFAULT_INTERVAL_MS = 60_000;
const MIN_INTERVAL_MS = 100;
/** The longest configuration reply read: some 10,000 nodes of long host names. */
const MAX_REPLY_BYTES = 1024 * 1024;
const DISCOVERY_OPTIONS = ['endpoint', 'intervalMs'];
const REQUEST = Buffer.from('config get cluster\r\n', 'latin1');

/** Validates the `discovery` option; throws `InvalidArgumentError`. */
export function parseDiscovery(value: unknown): ParsedDiscovery | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('discovery', 'an object { endpoint, intervalMs }', value, 'option');
  }
  const { endpoint, intervalMs = DEFAULT_INTERVAL_MS } = checkOptions(value, DISCOVERY_OPTIONS, 'discovery');
  let address: ServerAddress;
  try {
    address = parseServer(endpoint);
  } catch {
    throw new InvalidArgumentError('discovery.endpoint', '"host:port" or "host"', endpoint, 'option');
  }
  if (
    typeof intervalMs !== 'number' ||
    !Number.isInteger(intervalMs) ||
    intervalMs < MIN_INTERVAL_MS ||
    intervalMs > MAX_TIMER_MS
  ) {
    throw new InvalidArgumentError(
      'discovery.intervalMs',
      `an integer from ${MIN_INTERVAL_MS} to ${MAX_TIMER_MS}`,
      intervalMs,
      'option',
    );
  }
  return Object.freeze({ endpoint: address, intervalMs });
}

/** A cluster's configuration as `config get cluster` answers it. */
export interface ClusterConfig {
  /** The config version, raised by the service each time a node joins or leaves. */
  readonly version: number;
  /** The nodes, as server specs (`host:port`). */
  readonly servers: readonly string[];
}

/**
 * Reads a complete answer to `config get cluster`, or returns `undefined` when more bytes
 * are needed; throws a `ProtocolError` naming `endpoint` for anything else. The answer is
 *
 * ```
 * CONFIG cluster <flags> <bytes>\r\n
 * <version>\n
 * <host>|<ip>|<port> <host>|<ip>|<port> …\n
 * \r\n
 * END\r\n
 * ```
 *
 * where `<bytes>` counts the two lines between the header and the blank line.
 */
export function readClusterConfig(reply: Buffer, endpoint: string): ClusterConfig | undefined {
  const garbage = (reason: string) => new ProtocolError(endpoint, `the cluster config ${reason}`);
  const headerEnd = reply.indexOf('\r\n');
  if (headerEnd === -1) return undefined;
  const header = reply.toString('latin1', 0, headerEnd);
  const match = /^CONFIG cluster \d+ (\d+)$/.exec(header);
  if (match === null) {
    if (/^(ERROR|CLIENT_ERROR|SERVER_ERROR)/.test(header)) {
      throw new ProtocolError(
        endpoint,
        `"config get cluster" was refused (${header}): is it an ElastiCache configuration endpoint?`,
      );
    }
    throw garbage(`reply began ${JSON.stringify(header.slice(0, 60))}, not "CONFIG cluster"`);
  }
  const start = headerEnd + 2;
  const end = start + Number(match[1]);
  if (reply.length < end + 7) return undefined;
  if (reply.toString('latin1', end, end + 7) !== '\r\nEND\r\n') throw garbage('did not end with END');
  const lines = reply.toString('latin1', start, end).split('\n');
  if (lines.length !== 3 || lines[2] !== '' || !/^\d{1,15}$/.test(lines[0]!)) {
    throw garbage('is not a version line and a node line');
  }
  const servers = lines[1]!
    .split(' ')
    .filter((node) => node !== '')
    .map((node) => nodeSpec(node, garbage));
  if (servers.length === 0) throw garbage('lists no node');
  return { version: Number(lines[0]), servers };
}

/** `host|ip|port` as a server spec: the host name, else the IP address. */
function nodeSpec(node: string, garbage: (reason: string) => Error): string {
  const [host, ip, port, extra] = node.split('|');
  const name = host === '' ? ip : host;
  if (extra !== undefined || port === undefined || name === undefined || name === '' || !/^\d{1,5}$/.test(port)) {
    throw garbage(`lists a node ${JSON.stringify(node.slice(0, 80))} that is not host|ip|port`);
  }
  return name.includes(':') ? `[${name}]:${port}` : `${name}:${port}`;
}

/** What a {@link Discovery} reports to its fleet. */
export interface DiscoverySink {
  /** The endpoint answered with a config newer than the last one applied. */
  found(config: ClusterConfig): void;
  /** A poll failed: the endpoint could not be reached, or answered garbage. */
  failed(error: Error): void;
}

/**
 * Polls a configuration endpoint: at once when started, then `intervalMs` after each answer.
 * The timer is unref'd and made in the owning client's async context; a poll's socket holds
 * the process only while it is out (bounded by `connectTimeoutMs` and `timeoutMs`).
 */
export class Discovery {
  readonly #settings: ParsedDiscovery;
  readonly #options: ParsedOptions;
  readonly #owner: AsyncResource;
  readonly #sink: DiscoverySink;
  /** The version last applied; an older answer (a node that has not caught up) is ignored. */
  #version = -1;
  #timer: NodeJS.Timeout | undefined = undefined;
  /** Ends the poll that is out, without reporting it. */
  #cancel: (() => void) | undefined = undefined;
  #running = false;

  constructor(settings: ParsedDiscovery, options: ParsedOptions, owner: AsyncResource, sink: DiscoverySink) {
    this.#settings = settings;
    this.#options = options;
    this.#owner = owner;
    this.#sink = sink;
  }

  /** Starts polling, with a poll right away; does nothing while polling. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#owner.runInAsyncScope(this.#poll, this);
  }

  /** Stops polling, and ends the poll that is out. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#cancel?.();
    this.#cancel = undefined;
  }

  readonly #poll = (): void => {
    this.#timer = undefined;
    this.#cancel = ask(this.#settings.endpoint, this.#options, this.#answered);
  };

  readonly #answered = (error: Error | undefined, config: ClusterConfig | undefined): void => {
    this.#cancel = undefined;
    if (!this.#running) return;
    // The next poll is set first: whatever the sink does with this answer, polling goes on.
    const timer: NodeJS.Timeout = this.#owner.runInAsyncScope(setTimeout, null, this.#poll, this.#settings.intervalMs);
    this.#timer = timer.unref();
    if (error !== undefined) this.#sink.failed(error);
    else if (config !== undefined && config.version > this.#version) {
      this.#version = config.version;
      this.#sink.found(config);
    }
  };
}

/** Asks `endpoint` for the cluster config once; `done` is called once, unless the returned cancel comes first. */
function ask(
  endpoint: ServerAddress,
  options: ParsedOptions,
  done: (error: Error | undefined, config: ClusterConfig | undefined) => void,
): () => void {
  const label = endpoint.label;
  const socket: Socket = openSocket(endpoint, options.tls);
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: Error | undefined, config?: ClusterConfig, report = true) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    if (report) done(error, config);
  };
  const expire = (option: 'connectTimeoutMs' | 'timeoutMs') =>
    setTimeout(() => finish(new TimeoutError(label, option, options[option])), options[option]).unref();
  let timer = expire('connectTimeoutMs');
  socket.once(options.tls !== undefined ? 'secureConnect' : 'connect', () => {
    clearTimeout(timer);
    timer = expire('timeoutMs');
    socket.write(REQUEST);
  });
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_REPLY_BYTES)
      return finish(new ProtocolError(label, `the cluster config ran past ${MAX_REPLY_BYTES} bytes`));
    // Every complete answer ends a line: read the whole only then.
    if (chunk[chunk.length - 1] !== 0x0a) return;
    try {
      const config = readClusterConfig(Buffer.concat(chunks, size), label);
      if (config !== undefined) finish(undefined, config);
    } catch (error) {
      finish(error as Error);
    }
  });
  socket.on('error', (error: NodeJS.ErrnoException) =>
    finish(
      new ConnectionError(label, `could not read the cluster config (${error.code ?? error.message})`, {
        cause: error,
      }),
    ),
  );
  socket.on('close', () => finish(new ConnectionError(label, 'the connection closed before the cluster config came')));
  return () => finish(undefined, undefined, false);
}
