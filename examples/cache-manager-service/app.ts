// A product service that caches its slow lookups with cache-manager 7, over
// Keyv, over @clonepool/keyv's memcached store. cache.wrap() runs the lookup
// once per cold key in this process; every instance of the service shares the
// cached results through memcached, and a clear in one is seen by all.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyvMemcached } from '@clonepool/keyv';
import type { ServerList } from '@clonepool/memcached';
import { type Cache, createCache } from 'cache-manager';
import Keyv from 'keyv';

/** A product, as the slow backend returns it. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly priceCents: number;
}

/** How a {@link ProductService} is built. */
export interface ProductServiceOptions {
  /** The memcached servers, as `Client` takes them. */
  readonly servers: ServerList;
  /** How long a lookup in the (simulated) backend takes. @default 100 */
  readonly lookupMs?: number;
  /** How long a product stays cached, in milliseconds. @default 60000 */
  readonly ttlMs?: number;
}

/** The running service and what it owns. */
export interface ProductService {
  readonly server: Server;
  readonly cache: Cache;
  /** Starts listening; resolves the base URL, such as `http://127.0.0.1:3000`. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops the server, then disconnects the cache (which closes the store's client). Idempotent. */
  close(): Promise<void>;
}

/** The slow backend: a lookup takes `lookupMs`. Any id has a product. */
async function lookUp(id: string, lookupMs: number): Promise<Product> {
  await new Promise((resolve) => setTimeout(resolve, lookupMs));
  let priceCents = 0;
  for (const char of id) priceCents = (priceCents * 31 + char.codePointAt(0)!) % 10_000;
  return { id, name: `Product ${id}`, priceCents: 100 + priceCents };
}

export function createProductService(options: ProductServiceOptions): ProductService {
  const { servers, lookupMs = 100, ttlMs = 60_000 } = options;
  const store = new KeyvMemcached(servers, { timeoutMs: 500 });
  const keyv = new Keyv({ store, namespace: 'products' });
  const stats = { lookups: 0, cacheErrors: 0 };
  // A failing memcached does not fail requests: Keyv reads it as a miss, the lookup runs, and the error is counted.
  keyv.on('error', () => {
    stats.cacheErrors++;
  });
  const cache = createCache({ stores: [keyv], ttl: ttlMs });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://service');
    const product = /^\/products\/([^/]+)$/.exec(url.pathname);
    if (product && req.method === 'GET') {
      const id = decodeURIComponent(product[1]!);
      let looked = false;
      const value = await cache.wrap(`product:${id}`, () => {
        looked = true;
        stats.lookups++;
        return lookUp(id, lookupMs);
      });
      send(res, 200, value, { 'x-cache': looked ? 'miss' : 'hit' });
    } else if (product && req.method === 'DELETE') {
      await cache.del(`product:${decodeURIComponent(product[1]!)}`);
      send(res, 204);
    } else if (url.pathname === '/cache/clear' && req.method === 'POST') {
      await cache.clear(); // the `products` namespace only, in every instance
      send(res, 204);
    } else if (url.pathname === '/stats' && req.method === 'GET') {
      send(res, 200, stats);
    } else {
      send(res, 404, { error: 'ERR_NOT_FOUND' });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: (error as { code?: string }).code ?? 'ERR_INTERNAL', message: String(error) });
    });
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    cache,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`));
      });
    },
    close() {
      closing ??= (async () => {
        if (server.listening) {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
        }
        await cache.disconnect();
      })();
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
