// Parentage across the driver's pipelining: commands of concurrent requests share one
// client and one connection, their replies resolve from the socket's callbacks, and each
// command's span is still the child of the request that called it.
import { MappedPool } from '@clonepool/mapped-pool';
import { context, type Span, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { client, closeAfter, sleep, telemetry } from './support.ts';

describe('parent spans', () => {
  it('parents each command to the request that called it, with many requests pipelined on one connection', async () => {
    const mc = client();
    await mc.setMulti(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`ctx:${i}`, i])));
    const { tracerProvider, spans } = telemetry();
    const tracer = tracerProvider.getTracer('http-like');
    const requests = ['GET /a', 'GET /b', 'GET /c'];
    const activeAfter: (Span | undefined)[] = [];
    // Each request awaits commands one after another and in parallel, while the others do
    // the same: their commands interleave on the client's one connection.
    const handled = await Promise.all(
      requests.map((name, r) =>
        tracer.startActiveSpan(name, async (request) => {
          for (let round = 0; round < 5; round++) {
            await Promise.all([
              mc.get(`ctx:${(r + round) % 20}`),
              mc.getMulti([`ctx:${round}`, `ctx:${round + 1}`]),
              mc.set(`ctx:${r}:${round}`, round),
            ]);
            await sleep(r); // so the requests drift against each other
          }
          // The caller's own context is intact after the awaits: the command spans were never active here.
          activeAfter[r] = trace.getActiveSpan();
          request.end();
          return request;
        }),
      ),
    );
    const finished = spans();
    for (const [r, request] of handled.entries()) {
      const { spanId, traceId } = request.spanContext();
      const children = finished.filter((span) => span.parentSpanContext?.spanId === spanId);
      expect(children).toHaveLength(15);
      for (const child of children) expect(child.spanContext().traceId).toBe(traceId);
      expect(activeAfter[r]).toBe(request);
    }
    // Every command span has one of the requests as its parent: none is orphaned or crossed over.
    const commands = finished.filter((span) => span.attributes['db.system.name'] === 'memcached');
    expect(commands).toHaveLength(45);
    const requestIds = new Set(handled.map((request) => request.spanContext().spanId));
    for (const command of commands) expect(requestIds.has(command.parentSpanContext!.spanId)).toBe(true);
  });

  it('makes a root span of a command called outside any span, and parents under an explicit context', async () => {
    const { tracerProvider, spans } = telemetry();
    const mc = client();
    await mc.get('root');
    const job = tracerProvider.getTracer('jobs').startSpan('job');
    await context.with(trace.setSpan(context.active(), job), () => mc.get('child'));
    job.end();
    const [root, child] = spans();
    expect(root!.parentSpanContext).toBeUndefined();
    expect(child!.parentSpanContext?.spanId).toBe(job.spanContext().spanId);
    expect(child!.spanContext().traceId).toBe(job.spanContext().traceId);
  });

  it('keeps parentage through a MappedPool: each run() scope clones its client inside the request span', async () => {
    const { tracerProvider, spans } = telemetry();
    const tracer = tracerProvider.getTracer('http-like');
    const pool = closeAfter(new MappedPool(client(), { name: 'per-request' }));
    const requests = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        tracer.startActiveSpan(`request ${i}`, (request) =>
          pool.run(async () => {
            await pool.use((mc) => mc.set(`pool:${i}`, i));
            await sleep(1);
            await pool.use((mc) => mc.get(`pool:${i}`));
            request.end();
            return request;
          }),
        ),
      ),
    );
    for (const request of requests) {
      const children = spans().filter((span) => span.parentSpanContext?.spanId === request.spanContext().spanId);
      expect(children.map((span) => span.attributes['db.operation.name'])).toEqual(['set', 'get']);
    }
  });
});
