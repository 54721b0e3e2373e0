import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkOptions, InvalidArgumentError, isPromiseLike } from '@clonepool/core';

/** What the HTTP helpers need of a pool: a {@link MappedPool}'s `run`. */
export interface ContextRunner {
  /** Runs `fn` in a new context and ends the context when `fn`'s promise settles. */
  run<T>(fn: () => T | PromiseLike<T>): Promise<T>;
}

/** Options of {@link withContext}. */
export interface WithContextOptions<Req extends IncomingMessage, Res extends ServerResponse> {
  /**
   * Called when the handler throws or rejects. The context still ends when the
   * response does.
   * @default ends the response with status 500 (or destroys it when headers
   *   were already sent), then rethrows the error as an unhandled rejection, as
   *   a bare `node:http` handler would
   */
  readonly onError?: ((error: unknown, req: Req, res: Res) => void) | undefined;
}

/**
 * Wraps a `node:http` request handler so each request runs in its own context
 * of `pool`: every reserve made while handling it shares one client, which is
 * relinquished when the response finishes, or closes early because the client
 * aborted the request.
 *
 * Reserves made after the response ended get a fresh client, which the pool
 * reclaims when the request's objects are garbage-collected (or by its idle
 * timeout).
 *
 * @param pool - The pool whose contexts requests get.
 * @param handler - The request handler; may be async.
 * @param options - What to do when the handler fails.
 * @throws `InvalidArgumentError` (`ERR_INVALID_ARG_VALUE`) for a pool without `run()`, a handler that is
 *   not a function, or an unknown or invalid option.
 * @returns A listener for `http.createServer` or `server.on('request')`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import type { AddressInfo } from 'node:net';
 * import { TestClient } from '@clonepool/core/testing';
 * import { MappedPool, withContext } from '@clonepool/mapped-pool';
 *
 * const pool = new MappedPool(new TestClient());
 * const server = createServer(
 *   withContext(pool, async (_req, res) => {
 *     const first = await pool.use((client) => client.ping());
 *     const second = await pool.use((client) => client.ping());
 *     res.end(`client ${first} then ${second}`);
 *   }),
 * );
 * await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
 * const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
 * console.log(await (await fetch(url)).text());
 * console.log(await (await fetch(url)).text());
 * // → client 1 then 1
 * // → client 2 then 2
 * server.closeAllConnections();
 * server.close();
 * await pool.close();
 * ```
 */
export function withContext<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  pool: ContextRunner,
  handler: (req: Req, res: Res) => unknown,
  options: WithContextOptions<Req, Res> = {},
): (req: Req, res: Res) => void {
  checkRunner(pool);
  if (typeof handler !== 'function') throw new InvalidArgumentError('handler', 'a function (req, res)', handler);
  const { onError = failResponse } = checkOptions(options, WITH_CONTEXT_OPTIONS, 'withContext()') as WithContextOptions<
    Req,
    Res
  >;
  if (typeof onError !== 'function') {
    throw new InvalidArgumentError('onError', 'a function (error, req, res)', onError, 'option');
  }
  return (req, res) => {
    void pool.run(() => {
      const ended = responseEnded(res);
      const fail = (error: unknown): void => onError(error, req, res);
      try {
        const result = handler(req, res);
        if (isPromiseLike(result)) result.then(undefined, fail);
      } catch (error) {
        fail(error);
      }
      return ended;
    });
  };
}

/**
 * Connect/Express-style middleware (`(req, res, next)`) that runs the rest of
 * the chain in a new context of `pool`, relinquished when the response
 * finishes or the client aborts. Fastify takes it in an `onRequest` hook as
 * `(request, reply, done) => middleware(request.raw, reply.raw, done)`.
 *
 * @param pool - The pool whose contexts requests get.
 * @throws `InvalidArgumentError` (`ERR_INVALID_ARG_VALUE`) for a pool without `run()`.
 * @returns The middleware.
 *
 * @example
 * ```ts
 * import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
 * import type { AddressInfo } from 'node:net';
 * import { TestClient } from '@clonepool/core/testing';
 * import { contextMiddleware, MappedPool } from '@clonepool/mapped-pool';
 *
 * const pool = new MappedPool(new TestClient());
 * const middleware = contextMiddleware(pool);
 * // The smallest Connect-style chain: the middleware, then the route.
 * const route = async (_req: IncomingMessage, res: ServerResponse) => {
 *   res.end(String(await pool.use((client) => client.ping())));
 * };
 * const server = createServer((req, res) => middleware(req, res, () => void route(req, res)));
 * await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
 * const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
 * console.log(await (await fetch(url)).text(), await (await fetch(url)).text());
 * // → 1 2
 * server.closeAllConnections();
 * server.close();
 * await pool.close();
 * ```
 */
export function contextMiddleware(
  pool: ContextRunner,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  checkRunner(pool);
  return (_req, res, next) => {
    void pool.run(() => {
      const ended = responseEnded(res);
      try {
        next();
      } catch (error) {
        next(error);
      }
      return ended;
    });
  };
}

const WITH_CONTEXT_OPTIONS: readonly string[] = ['onError'];

/** Checks that the helpers were given something with `run()`, before any request comes. */
function checkRunner(pool: unknown): void {
  if (typeof (pool as Partial<ContextRunner> | null | undefined)?.run !== 'function') {
    throw new InvalidArgumentError('pool', 'a pool with run(), such as a MappedPool', pool);
  }
}

/** Resolves once the response has finished or closed (the client went away), whichever comes first. */
function responseEnded(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('finish', done);
      res.off('close', done);
      resolve();
    };
    res.on('finish', done);
    res.on('close', done);
  });
}

function failResponse(error: unknown, _req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent) {
    res.statusCode = 500;
    res.end();
  } else {
    res.destroy();
  }
  void Promise.reject(error);
}
