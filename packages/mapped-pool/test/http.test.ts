import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestClient } from '@clonepool/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { contextMiddleware, MappedPool, withContext } from '../src/index.js';
import { sleep } from './helpers.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Polls until `done()` holds or a second has passed. */
async function eventually(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await sleep(5);
}

describe('the node:http helper', () => {
  it('gives each request its own client, shared by all its reserves, and relinquishes it when the response ends', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    const url = await listen(
      withContext(pool, async (req, res) => {
        const first = await pool.use((client) => client.ping());
        await sleep(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('wait')));
        const second = await pool.use((client) => client.ping());
        res.end(`${first} ${second}`);
      }),
    );
    const bodies = await Promise.all([5, 0, 10, 1].map(async (wait) => (await fetch(`${url}/?wait=${wait}`)).text()));
    const ids = bodies.map((body) => body.split(' '));
    for (const [first, second] of ids) expect(first).toBe(second);
    expect(new Set(ids.map(([first]) => first)).size).toBe(4);
    await eventually(() => master.clones.every((c) => c.closeCount === 1));
    expect(pool.stats()).toMatchObject({ clones: 4, relinquished: 4, size: 0, contexts: 0 });
    expect(master.clones.map((c) => c.closeCount)).toEqual([1, 1, 1, 1]);
    await pool.close();
  });

  it('relinquishes the client of a request the client aborts mid-way', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    let reserved!: () => void;
    const handlerReserved = new Promise<void>((resolve) => {
      reserved = resolve;
    });
    let aborted = false;
    const url = await listen(
      withContext(pool, async (req, res) => {
        await pool.use((client) => client.ping());
        reserved();
        // The response never ends on its own: only the abort ends the context.
        req.on('close', () => {
          aborted = !res.writableFinished;
        });
      }),
    );
    const outgoing = request(`${url}/slow`, { method: 'POST' });
    outgoing.on('error', () => {});
    outgoing.write('part of a body');
    await handlerReserved;
    expect(pool.stats()).toMatchObject({ size: 1, contexts: 1 });
    outgoing.destroy();
    await eventually(() => master.clones[0]?.closeCount === 1);
    expect(aborted).toBe(true);
    expect(master.clones[0]?.closeCount).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 0, contexts: 0, relinquished: 1 });
    await pool.close();
  });

  it('keeps a client leased by a handler that outlives an aborted request until it releases', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    let release!: () => void;
    const leased = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const url = await listen(
      withContext(pool, async () => {
        const lease = await pool.reserve();
        release();
        await finished;
        lease.release();
      }),
    );
    const outgoing = request(`${url}/`);
    outgoing.on('error', () => {});
    outgoing.end();
    await leased;
    outgoing.destroy();
    await eventually(() => pool.stats().relinquished === 1);
    expect(master.clones[0]?.isClosed).toBe(false);
    finish();
    await eventually(() => master.clones[0]?.closeCount === 1);
    expect(master.clones[0]?.closeCount).toBe(1);
    await pool.close();
  });

  it('hands a failing handler to onError and still ends the context', async () => {
    const pool = new MappedPool(new TestClient());
    const errors: unknown[] = [];
    const url = await listen(
      withContext(
        pool,
        async () => {
          await pool.use(() => {});
          throw new Error('handler failed');
        },
        {
          onError: (error, _req, res) => {
            errors.push(error);
            res.statusCode = 503;
            res.end();
          },
        },
      ),
    );
    expect((await fetch(url)).status).toBe(503);
    expect(errors).toEqual([new Error('handler failed')]);
    await eventually(() => pool.stats().relinquished === 1);
    expect(pool.stats().size).toBe(0);
    await pool.close();
  });

  it('runs a Connect-style chain after contextMiddleware in one context per request', async () => {
    const master = new TestClient();
    const pool = new MappedPool(master);
    const middleware = contextMiddleware(pool);
    const url = await listen((req, res) => {
      middleware(req, res, () => {
        // The next middleware, then the route, as Express would call them.
        setImmediate(async () => {
          const first = await pool.use((client) => client.ping());
          const second = await pool.use((client) => client.ping());
          res.end(`${first} ${second}`);
        });
      });
    });
    const bodies = await Promise.all([fetch(url), fetch(url)].map(async (r) => (await r).text()));
    expect(bodies.sort()).toEqual(['1 1', '2 2']);
    await eventually(() => pool.stats().relinquished === 2);
    expect(pool.stats()).toMatchObject({ size: 0, contexts: 0 });
    await pool.close();
  });
});

describe('the HTTP helpers refuse bad arguments with the typed error', () => {
  const invalid = (message: RegExp) =>
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(message) });

  it('withContext refuses a handler that is not a function', () => {
    const pool = new MappedPool(new TestClient());
    expect(() => withContext(pool, 'nope' as never)).toThrow(invalid(/^Argument handler must be a function/));
  });

  it('withContext refuses unknown option names and an onError that is not a function', () => {
    const pool = new MappedPool(new TestClient());
    const handler = () => {};
    expect(() => withContext(pool, handler, { onErr: () => {} } as never)).toThrow(
      invalid(/^Option onErr is not one withContext\(\) knows; its options are onError\.$/),
    );
    expect(() => withContext(pool, handler, { onError: 'log' } as never)).toThrow(
      invalid(/^Option onError must be a function/),
    );
    expect(() => withContext(pool, handler, null as never)).toThrow(invalid(/^Argument options must be an object/));
  });

  it('both refuse a pool without run()', () => {
    const notAPool = { use: () => {} };
    expect(() => withContext(notAPool as never, () => {})).toThrow(
      invalid(/^Argument pool must be a pool with run\(\)/),
    );
    expect(() => contextMiddleware(notAPool as never)).toThrow(invalid(/^Argument pool must be a pool with run\(\)/));
  });
});
