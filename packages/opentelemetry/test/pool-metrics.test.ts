// The conventions' connection-pool metrics for both pools over our own driver, read
// through the real metrics SDK: counts by state, max, pending requests, wait, use and
// create times, timeouts; the pool's name, or a numbered one; closed pools dropped.

import type { Lease } from '@clonepool/core';
import { ClientPool } from '@clonepool/fifo-pool';
import { MappedPool } from '@clonepool/mapped-pool';
import type { Client } from '@clonepool/memcached';
import { describe, expect, it } from 'vitest';
import { client, closeAfter, histogramCounts, pointValues, sleep, telemetry } from './support.ts';

const pool = (name: string) => `db.client.connection.pool.name=${name}`;

describe('pool metrics', () => {
  it('measures a ClientPool: connections idle and used, max, pending requests, wait, use and create times, timeouts', async () => {
    const { collect } = telemetry();
    const clients = closeAfter(
      new ClientPool(client(), 3, { name: 'sessions', reserve: { block: true, timeoutMs: 1_000 } }),
    );
    const held: Lease<Client>[] = [await clients.reserve(), await clients.reserve()];
    await held[0]!.client.set('k', 1);
    const waiting = [clients.reserve(), clients.reserve()];
    const timedOut = await clients.reserve({ timeoutMs: 20 }).catch((error: { code: string }) => error.code);
    expect(timedOut).toBe('ERR_RESERVE_TIMEOUT');

    let metrics = await collect();
    // Three slots: one was taken by the first waiter, so none is idle and one reserve still waits.
    expect(pointValues(metrics.get('db.client.connection.count'))).toEqual({
      [`${pool('sessions')},db.client.connection.state=idle`]: 0,
      [`${pool('sessions')},db.client.connection.state=used`]: 3,
    });
    expect(pointValues(metrics.get('db.client.connection.max'))).toEqual({ [pool('sessions')]: 3 });
    expect(pointValues(metrics.get('db.client.connection.pending_requests'))).toEqual({ [pool('sessions')]: 1 });
    expect(pointValues(metrics.get('db.client.connection.timeouts'))).toEqual({ [pool('sessions')]: 1 });
    expect(histogramCounts(metrics.get('db.client.connection.create_time'))[pool('sessions')]?.count).toBe(3);
    expect(histogramCounts(metrics.get('db.client.connection.wait_time'))[pool('sessions')]?.count).toBe(3);
    expect(metrics.get('db.client.connection.wait_time')?.descriptor.unit).toBe('s');

    await sleep(30);
    for (const lease of held) lease.release();
    const [third, fourth] = await Promise.all(waiting);
    third!.release();
    fourth!.release();
    metrics = await collect();
    expect(pointValues(metrics.get('db.client.connection.count'))).toEqual({
      [`${pool('sessions')},db.client.connection.state=idle`]: 3,
      [`${pool('sessions')},db.client.connection.state=used`]: 0,
    });
    expect(pointValues(metrics.get('db.client.connection.pending_requests'))).toEqual({ [pool('sessions')]: 0 });
    const wait = histogramCounts(metrics.get('db.client.connection.wait_time'))[pool('sessions')]!;
    expect(wait.count).toBe(4);
    // The last one waited for a held client, 30 ms at least.
    expect(wait.sum).toBeGreaterThan(0.025);
    const use = histogramCounts(metrics.get('db.client.connection.use_time'))[pool('sessions')]!;
    expect(use.count).toBe(4);
    expect(use.sum).toBeGreaterThan(0.05);
  });

  it('measures a MappedPool: each context holds its client, max is maxClients', async () => {
    const { collect } = telemetry();
    const mapped = closeAfter(
      new MappedPool(client(), { name: 'per-request', maxClients: 4, reserve: { block: true, timeoutMs: 1_000 } }),
    );
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const requests = [0, 1].map((i) =>
      mapped.run(async () => {
        await mapped.use((mc) => mc.set(`mapped:${i}`, i));
        await gate;
      }),
    );
    await sleep(20);
    let metrics = await collect();
    expect(pointValues(metrics.get('db.client.connection.count'))).toEqual({
      [`${pool('per-request')},db.client.connection.state=idle`]: 0,
      [`${pool('per-request')},db.client.connection.state=used`]: 2,
    });
    expect(pointValues(metrics.get('db.client.connection.max'))).toEqual({ [pool('per-request')]: 4 });
    expect(pointValues(metrics.get('db.client.connection.pending_requests'))).toEqual({ [pool('per-request')]: 0 });
    expect(histogramCounts(metrics.get('db.client.connection.create_time'))[pool('per-request')]?.count).toBe(2);
    release();
    await Promise.all(requests);
    await sleep(10); // the ended scopes' clients close on the next turn
    metrics = await collect();
    expect(pointValues(metrics.get('db.client.connection.count'))).toEqual({
      [`${pool('per-request')},db.client.connection.state=idle`]: 0,
      [`${pool('per-request')},db.client.connection.state=used`]: 0,
    });
    expect(histogramCounts(metrics.get('db.client.connection.use_time'))[pool('per-request')]?.count).toBe(2);
  });

  it('numbers pools without a name, adds up pools that share one, and forgets closed pools', async () => {
    const { collect } = telemetry();
    const unnamed = new ClientPool(client(), 2);
    const unbounded = new MappedPool(client());
    const twins = [new ClientPool(client(), 1, { name: 'twin' }), new ClientPool(client(), 2, { name: 'twin' })];
    for (const each of [unnamed, unbounded, ...twins]) await each.use((mc) => mc.get('k'));
    let metrics = await collect();
    expect(pointValues(metrics.get('db.client.connection.max'))).toEqual({
      [pool('fifo-pool#1')]: 2,
      // An unbounded MappedPool reports no max.
      [pool('twin')]: 3,
    });
    expect(pointValues(metrics.get('db.client.connection.count'))).toMatchObject({
      [`${pool('mapped-pool#1')},db.client.connection.state=used`]: 1,
      [`${pool('twin')},db.client.connection.state=idle`]: 3,
    });
    await Promise.all([unnamed.close(), unbounded.close(), twins[0]!.close()]);
    metrics = await collect();
    // A closed pool is reported at 0 once (the SDK keeps a series' last value), then forgotten.
    expect(pointValues(metrics.get('db.client.connection.count'))).toEqual({
      [`${pool('fifo-pool#1')},db.client.connection.state=idle`]: 0,
      [`${pool('fifo-pool#1')},db.client.connection.state=used`]: 0,
      [`${pool('mapped-pool#1')},db.client.connection.state=idle`]: 0,
      [`${pool('mapped-pool#1')},db.client.connection.state=used`]: 0,
      [`${pool('twin')},db.client.connection.state=idle`]: 2,
      [`${pool('twin')},db.client.connection.state=used`]: 0,
    });
    expect(pointValues(metrics.get('db.client.connection.max'))).toEqual({
      [pool('fifo-pool#1')]: 0,
      [pool('mapped-pool#1')]: 0,
      [pool('twin')]: 2,
    });
    await twins[1]!.close();
  });

  it('holds pools weakly: a pool nobody keeps is collected while the metrics are on', async () => {
    const { collect } = telemetry();
    let collected = false;
    // Used at the test's end: a registry that is itself collected never calls back.
    const token = {};
    const registry = new FinalizationRegistry<void>(() => {
      collected = true;
    });
    await (async () => {
      const forgotten = new ClientPool({ clone: () => ({}) }, 1, { name: 'forgotten' });
      registry.register(forgotten, undefined, token);
      await forgotten.use(() => {});
    })();
    expect(pointValues((await collect()).get('db.client.connection.max'))).toEqual({ [pool('forgotten')]: 1 });
    for (let i = 0; i < 100 && !collected; i++) {
      (globalThis as unknown as { gc: () => void }).gc();
      await sleep(10);
    }
    expect(collected).toBe(true);
    // Reported at 0 once it is gone, then no more.
    expect(pointValues((await collect()).get('db.client.connection.max'))).toEqual({ [pool('forgotten')]: 0 });
    expect(registry.unregister(token)).toBe(false); // its callback ran; and the registry lived until here
  });
});
