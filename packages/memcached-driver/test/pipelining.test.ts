import { describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import { ownServer, track } from './support.ts';

describe('pipelining on one connection', () => {
  it('10,000 concurrent mixed operations are each answered with their own reply', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address, { timeoutMs: 10_000 }));
    let connects = 0;
    client.on('connect', () => connects++);
    const N = 10_000;
    // Issued without awaiting: sets, then gets, incrs, misses and deletes interleaved.
    const sets = Array.from({ length: N }, (_, i) => client.set(`k${i}`, i % 3 === 0 ? `s${i}` : i));
    const ops: Promise<unknown>[] = [];
    const expected: unknown[] = [];
    for (let i = 0; i < N; i++) {
      switch (i % 5) {
        case 0:
          ops.push(client.get(`k${i}`));
          expected.push(i % 3 === 0 ? `s${i}` : i);
          break;
        case 1:
          ops.push(client.incr(`k${i}`, i));
          expected.push(i % 3 === 0 ? 'reject' : 2 * i);
          break;
        case 2:
          ops.push(client.get(`missing${i}`));
          expected.push(undefined);
          break;
        case 3:
          ops.push(client.gets(`k${i}`).then((item) => item?.value));
          expected.push(i % 3 === 0 ? `s${i}` : i);
          break;
        default:
          ops.push(client.add(`k${i}`, 'no'));
          expected.push(false);
      }
    }
    expect((await Promise.all(sets)).every((stored) => stored)).toBe(true);
    const results = await Promise.allSettled(ops);
    const got = results.map((r) => (r.status === 'fulfilled' ? r.value : 'reject'));
    // Non-numeric strings cannot be incremented: those, and only those, reject.
    expect(got).toEqual(expected);
    expect(connects).toBe(1);
    expect((await client.stats()).get(server.address)!.curr_connections).toBeDefined();
  });

  it('a 100k-op burst completes (the in-flight queue is a ring, not an array shift)', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address, { timeoutMs: 20_000 }));
    const started = Date.now();
    const gets = Array.from({ length: 100_000 }, (_, i) => client.get(`none${i % 1000}`));
    const results = await Promise.all(gets);
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('large values interleaved with small ones keep their order', async () => {
    const server = await ownServer();
    const client = track(new Client(server.address));
    const big = (i: number) => Buffer.alloc(200_000 + i, i);
    const writes = [];
    for (let i = 0; i < 10; i++) {
      writes.push(client.set(`big${i}`, big(i)));
      writes.push(client.set(`small${i}`, `s${i}`));
    }
    await Promise.all(writes);
    const reads = await Promise.all(
      Array.from({ length: 10 }, (_, i) => Promise.all([client.get(`big${i}`), client.get(`small${i}`)])),
    );
    reads.forEach(([b, s], i) => {
      expect((b as Buffer).equals(big(i))).toBe(true);
      expect(s).toBe(`s${i}`);
    });
    const hits = await client.getMulti(Array.from({ length: 10 }, (_, i) => `big${i}`));
    expect(hits.size).toBe(10);
  });
});
