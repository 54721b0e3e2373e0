// The seed's program: a node:http server answering `GET /<key>` from memcached
// through a ClientPool of clones of one master client, one clone per request
// being served at once — or, with `strategy: 'mapped'`, through a MappedPool
// that gives each request a clone of its own for the request's life.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientPool, type ClientPoolStats } from '@clonepool/fifo-pool';
import { MappedPool, type MappedPoolStats, withContext } from '@clonepool/mapped-pool';
import { Client, type ClientOptions, type ServerList } from '@clonepool/memcached';

/** How a {@link CacheServer} is built. */
export interface CacheServerOptions {
  /** The memcached servers, as `Client` takes them: `"host:port"`, comma-separated, or an array. */
  readonly servers: ServerList;
  /**
   * How requests get a client. `'fifo'`: a `ClientPool` of `concurrency`
   * clones, each lent to one request at a time. `'mapped'`: a `MappedPool`
   * that clones a client for each request (at most `concurrency` at once) and
   * closes it when the response ends, so everything one request does runs on
   * one connection.
   * @default 'fifo'
   */
  readonly strategy?: 'fifo' | 'mapped' | undefined;
  /**
   * How many requests are served at once: the pool holds (or maps) at most
   * this many clones. Further requests wait for a client, in arrival order.
   * @default 16
   */
  readonly concurrency?: number | undefined;
  /**
   * How long a request waits for a client before it is answered 503.
   * @default 1000
   */
  readonly reserveTimeoutMs?: number | undefined;
  /**
   * How long `close()` lets requests in flight finish before it cuts their connections.
   * @default 10000
   */
  readonly graceMs?: number | undefined;
  /** Options for the master client (and so for every clone). */
  readonly clientOptions?: ClientOptions | undefined;
}

/** A running cache server and what it owns. */
export interface CacheServer {
  readonly server: Server;
  readonly pool: ClientPool<Client> | MappedPool<Client>;
  readonly master: Client;
  /** Starts listening; resolves the base URL, such as `http://127.0.0.1:8080`. */
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Shuts down gracefully: stops accepting connections, lets requests in
   * flight finish (and their leases come back), closes the pool and its
   * clients, then the master. Idempotent.
   */
  close(): Promise<void>;
}

export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_RESERVE_TIMEOUT_MS = 1_000;
const DEFAULT_GRACE_MS = 10_000;

/** Builds the server, its pool and its master client; nothing connects until the first request. */
export function createCacheServer(options: CacheServerOptions): CacheServer {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number >= 1; got ${concurrency}`);
  }
  const reserveTimeoutMs = options.reserveTimeoutMs ?? DEFAULT_RESERVE_TIMEOUT_MS;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const master = new Client(options.servers, options.clientOptions);
  // The master's own connections are never used for requests; it is only cloned.
  // A server's pool waits for a client, for a while: a burst queues in arrival
  // order instead of failing at once (pylibmc's default), and a stuck one ends
  // in ERR_RESERVE_TIMEOUT, answered 503.
  const reserve = { block: true, timeoutMs: reserveTimeoutMs };
  const pool =
    options.strategy === 'mapped'
      ? new MappedPool(master, { maxClients: concurrency, reserve })
      : new ClientPool(master, concurrency, { reserve });
  let closing: Promise<void> | undefined;
  // Numbers the clones as they first serve, for the X-Client header.
  const clientNumbers = new WeakMap<Client, number>();
  let clientsSeen = 0;
  const clientNumber = (client: Client): number => {
    let number = clientNumbers.get(client);
    if (number === undefined) {
      number = ++clientsSeen;
      clientNumbers.set(client, number);
    }
    return number;
  };

  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      // handle() answers every error it expects; anything else is a bug, but must not leave the request hanging.
      if (!res.headersSent) reply(res, 500, { error: 'ERR_INTERNAL', message: String(error) });
      else res.destroy();
    });
  };
  // A mapped pool maps a client to an async context: withContext gives each request one, ended with its response.
  const server = createServer(pool instanceof MappedPool ? withContext(pool, serve) : serve);

  // Once shutting down, each response in flight closes its connection after it.
  const reply = (res: ServerResponse, status: number, body: unknown): void =>
    send(res, status, body, closing !== undefined);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      reply(res, 405, { error: 'ERR_METHOD_NOT_ALLOWED', message: 'Only GET /<key> is served.' });
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (path === '/_stats') {
      reply(res, 200, pool.stats());
      return;
    }
    let key: string;
    try {
      key = decodeURIComponent(path.slice(1));
    } catch {
      reply(res, 400, { error: 'ERR_INVALID_KEY', message: 'The path is not valid percent-encoding.' });
      return;
    }
    if (key === '') {
      reply(res, 400, { error: 'ERR_INVALID_KEY', message: 'Ask for GET /<key>.' });
      return;
    }
    let value: unknown;
    try {
      value = await pool.use((client) => {
        res.setHeader('X-Client', String(clientNumber(client)));
        return client.get(key);
      });
    } catch (error) {
      const { status, code, message } = describeError(error);
      if (status === 503) res.setHeader('Retry-After', '1');
      reply(res, status, { error: code, message });
      return;
    }
    if (value === undefined) {
      reply(res, 404, { error: 'ERR_NOT_FOUND', message: `No value for ${JSON.stringify(key)}.` });
      return;
    }
    if (value instanceof Uint8Array) {
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': value.byteLength,
        ...(closing === undefined ? {} : { Connection: 'close' }),
      });
      res.end(value);
      return;
    }
    reply(res, 200, value);
  }

  return {
    server,
    pool,
    master,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shown}:${address.port}`);
        });
      });
    },
    close() {
      closing ??= (async () => {
        // 1. Stop accepting; the callback fires once every open connection has ended.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // 2. Requests in flight finish (their responses say Connection: close), unless they outlast graceMs.
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        cut.unref();
        await drained;
        clearTimeout(cut);
        // 3. Every lease is back by now; close() still waits for any that is not, up to graceMs.
        try {
          await pool.close({ graceMs });
        } finally {
          // 4. The master last: its connections (if it ever opened any) go too.
          await master.close();
        }
      })();
      return closing;
    },
  };
}

/** Maps what can go wrong while reading a key to an HTTP status. */
function describeError(error: unknown): { status: number; code: string; message: string } {
  const code = String((error as { code?: unknown } | null)?.code ?? 'ERR_UNKNOWN');
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ERR_INVALID_KEY':
      return { status: 400, code, message };
    case 'ERR_RESERVE_TIMEOUT':
    case 'ERR_POOL_CLOSED':
      return { status: 503, code, message };
    default:
      // The cache itself failed (a server down, a timeout): a bad gateway, not a bug of ours.
      return { status: 502, code, message };
  }
}

/** Sends `body` as pretty-printed JSON; with `closeConnection`, the connection closes after it. */
function send(res: ServerResponse, status: number, body: unknown, closeConnection: boolean): void {
  const text = `${JSON.stringify(body, jsonReplacer, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

/** JSON has no bigint; memcached counters beyond 2^53 come back as one. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export type { ClientPoolStats, MappedPoolStats };
