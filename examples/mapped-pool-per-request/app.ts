// Each HTTP request gets its own memcached client from a MappedPool, through
// withContext: every reserve made while handling the request (however deeply
// nested, and concurrent ones too) shares that request's client, and the client
// is relinquished when the response ends or the client goes away.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MappedPool, withContext } from '@clonepool/mapped-pool';
import { Client, type ServerList } from '@clonepool/memcached';

/** A running profile server and what it owns. */
export interface ProfileServer {
  readonly server: Server;
  readonly pool: MappedPool<Client>;
  /** Requests whose client went away before the response, seen by the handler. */
  readonly aborted: () => number;
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, waits for requests in flight, closes the pool (every client) and the master. Idempotent. */
  close(): Promise<void>;
}

/** A user's profile as stored in memcached. */
interface User {
  readonly id: string;
  readonly name: string;
}

/** How many requests hold a client at once, and how long a request waits for one beyond that. */
export interface ProfileServerOptions {
  /** @default 64 */
  readonly maxClients?: number;
  /** @default 2000 */
  readonly reserveTimeoutMs?: number;
}

export function createProfileServer(servers: ServerList, options: ProfileServerOptions = {}): ProfileServer {
  const master = new Client(servers, { keyPrefix: 'profiles:' });
  // A server's pool: bounded, and a request beyond the bound waits its turn
  // for a while (then 503) rather than failing at once as pylibmc's default does.
  const pool = new MappedPool(master, {
    maxClients: options.maxClients ?? 64,
    reserve: { block: true, timeoutMs: options.reserveTimeoutMs ?? 2_000 },
  });
  // Numbers the clones, so responses can show which client served what.
  const clientIds = new WeakMap<Client, number>();
  let nextClientId = 1;
  const clientId = (client: Client): number => {
    let id = clientIds.get(client);
    if (id === undefined) {
      id = nextClientId++;
      clientIds.set(client, id);
    }
    return id;
  };
  let aborted = 0;

  // Data access code knows nothing of requests: it asks the pool, and the pool
  // hands it the client of whatever request it is running for.
  async function loadUser(id: string, seen: number[]): Promise<User> {
    return pool.use(async (client) => {
      seen.push(clientId(client));
      const user = await client.get<User>(`user:${id}`);
      if (user !== undefined) return user;
      const created: User = { id, name: `user ${id}` };
      await client.set(`user:${id}`, created);
      return created;
    });
  }

  async function countVisit(id: string, seen: number[]): Promise<number> {
    return pool.use(async (client) => {
      seen.push(clientId(client));
      const key = `visits:${id}`;
      const count = (await client.incr(key)) ?? ((await client.add(key, 1)) ? 1 : await client.incr(key));
      return Number(count);
    });
  }

  async function loadProfile(id: string, seen: number[]) {
    // Two lookups at once, and a write after: three reserves, one client.
    const [user, visits] = await Promise.all([loadUser(id, seen), countVisit(id, seen)]);
    const lastSeen = await pool.use(async (client) => {
      seen.push(clientId(client));
      const now = new Date().toISOString();
      await client.set(`last-seen:${id}`, now);
      return now;
    });
    return { user, visits, lastSeen };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const profile = url.pathname.match(/^\/users\/([\w-]{1,64})$/);
    if (req.method === 'GET' && profile !== null) {
      const seen: number[] = [];
      const body = await loadProfile(profile[1]!, seen);
      send(res, 200, { ...body, clients: seen });
      return;
    }
    const slow = url.pathname.match(/^\/slow\/([\w-]{1,64})$/);
    if (req.method === 'GET' && slow !== null) {
      // Work in steps; stop as soon as the client has gone, so nothing reserves after the context ended.
      const seen: number[] = [];
      const steps = Number(url.searchParams.get('steps') ?? 10);
      try {
        for (let step = 0; step < steps; step++) {
          await loadUser(slow[1]!, seen);
          await sleep(50, undefined, { signal: gone.signal });
        }
      } catch (error) {
        if (gone.signal.aborted) {
          aborted++;
          return;
        }
        throw error;
      }
      send(res, 200, { steps, clients: seen });
      return;
    }
    send(res, 404, { error: 'not found', try: ['/users/<id>', '/slow/<id>?steps=10'] });
  }

  const server = createServer(
    withContext(pool, handle, {
      onError: (error, _req, res) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const code = String((error as { code?: unknown }).code ?? 'ERR_INTERNAL');
        // Every client stayed busy for reserve.timeoutMs, or the server is shutting down: try again later.
        const busy = code === 'ERR_RESERVE_TIMEOUT' || code === 'ERR_POOL_CLOSED';
        if (busy) res.setHeader('Retry-After', '1');
        send(res, busy ? 503 : 500, { error: code, message: (error as Error).message });
      },
    }),
  );
  let closing: Promise<void> | undefined;
  return {
    server,
    pool,
    aborted: () => aborted,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(`http://${host}:${(server.address() as AddressInfo).port}`);
        });
      });
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await pool.close();
        await master.close();
      })();
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
