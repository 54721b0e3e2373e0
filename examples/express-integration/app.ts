// Express 5 with a MappedPool: contextMiddleware runs the rest of each
// request's chain in a context of its own, so every pool.use() in its route
// (and in anything the route calls) gets that request's memcached client,
// relinquished when the response finishes or the client goes away.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contextMiddleware, MappedPool } from '@clonepool/mapped-pool';
import { Client, type ServerList } from '@clonepool/memcached';
import express, { type ErrorRequestHandler, type Express } from 'express';

/** The app, its pool and how to serve and stop it. */
export interface ItemsApp {
  readonly app: Express;
  readonly pool: MappedPool<Client>;
  listen(port?: number, host?: string): Promise<string>;
  /** Stops the server (if listening), then closes the pool and the master. Idempotent. */
  close(): Promise<void>;
}

/** How many requests hold a client at once, and how long a request waits for one beyond that. */
export interface ItemsAppOptions {
  /** @default 64 */
  readonly maxClients?: number;
  /** @default 2000 */
  readonly reserveTimeoutMs?: number;
}

export function createItemsApp(servers: ServerList, options: ItemsAppOptions = {}): ItemsApp {
  const master = new Client(servers, { keyPrefix: 'items:' });
  // A server's pool: bounded, and a request beyond the bound waits its turn
  // for a while (then 503) rather than failing at once as pylibmc's default does.
  const pool = new MappedPool(master, {
    maxClients: options.maxClients ?? 64,
    reserve: { block: true, timeoutMs: options.reserveTimeoutMs ?? 2_000 },
  });
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

  const app = express();
  app.disable('x-powered-by');
  // First, so everything after it runs in the request's context: the body
  // parser too, and the routes it calls on from the request stream's events
  // (a test sends a body in slow chunks to check the context survives them).
  app.use(contextMiddleware(pool));
  app.use(express.json({ type: () => true, limit: '512kb' }));

  app.get('/items/:key', async (req, res) => {
    const key = req.params.key;
    const value = await pool.use((client) => {
      res.setHeader('X-Client', String(clientId(client)));
      return client.get(key);
    });
    if (value === undefined) {
      res.status(404).json({ error: 'ERR_NOT_FOUND', key });
      return;
    }
    res.json({ key, value });
  });

  app.put('/items/:key', async (req, res) => {
    const key = req.params.key;
    if (req.body === undefined) {
      res.status(400).json({ error: 'ERR_NO_BODY', message: 'Send the value as a JSON body.' });
      return;
    }
    const ttl = Number(req.query.ttl ?? 0);
    // Two reserves in one request — a write, then a read-back — share the request's client.
    const written = await pool.use(async (client) => ({
      id: clientId(client),
      stored: await client.set(key, req.body, { ttl }),
    }));
    const readBack = await pool.use(async (client) => ({ id: clientId(client), value: await client.get(key) }));
    res.setHeader('X-Client', `${written.id},${readBack.id}`);
    res.status(written.stored ? 201 : 500).json({ key, value: readBack.value });
  });

  app.get('/_stats', (_req, res) => {
    res.json(pool.stats());
  });

  const onError: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const code = String((error as { code?: unknown }).code ?? '');
    const status = (error as { status?: unknown }).status;
    // Bad keys, TTLs and values are the caller's fault; body-parser's errors carry their status.
    if (
      code === 'ERR_INVALID_KEY' ||
      code === 'ERR_INVALID_ARG_VALUE' ||
      code === 'ERR_INVALID_VALUE' ||
      code === 'ERR_VALUE_TOO_LARGE'
    ) {
      res.status(400).json({ error: code, message: (error as Error).message });
    } else if (code === 'ERR_RESERVE_TIMEOUT' || code === 'ERR_POOL_CLOSED') {
      // Every client stayed busy for reserve.timeoutMs, or the app is shutting down: try again later.
      res
        .set('Retry-After', '1')
        .status(503)
        .json({ error: code, message: (error as Error).message });
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      res
        .status(status)
        .json({ error: (error as { type?: string }).type ?? 'ERR_BAD_REQUEST', message: (error as Error).message });
    } else {
      res.status(502).json({ error: code || 'ERR_CACHE', message: (error as Error).message });
    }
  };
  app.use(onError);

  let server: Server | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    pool,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const listening = app.listen(port, host, (error?: Error) => {
          if (error) reject(error);
          else resolve(`http://${host}:${(listening.address() as AddressInfo).port}`);
        });
        server = listening;
      });
    },
    close() {
      closing ??= (async () => {
        if (server?.listening) {
          await new Promise<void>((resolve) => {
            server?.close(() => resolve());
            server?.closeIdleConnections();
          });
        }
        await pool.close();
        await master.close();
      })();
      return closing;
    },
  };
}
