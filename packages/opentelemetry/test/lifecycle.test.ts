// Enabling and disabling: nothing subscribed until enabled, nothing emitted and no
// subscriber left after disable(); OpenTelemetry's registerInstrumentations takes it;
// bad options are refused; the driver's failover shows as metrics.
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { poolChannelNames } from '@clonepool/core';
import { ClientPool, channelNames as fifoChannels } from '@clonepool/fifo-pool';
import { MappedPool, channelNames as mappedChannels } from '@clonepool/mapped-pool';
import { type CommandContext, channelNames as memcachedChannels } from '@clonepool/memcached';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { describe, expect, it } from 'vitest';
import { ClonepoolInstrumentation } from '../src/index.ts';
import { POOL_PACKAGES } from '../src/pool-metrics.ts';
import { client, closeAfter, histogramCounts, ownServer, pointValues, sleep, telemetry } from './support.ts';

/** Whether anything listens on any channel this package reads. */
function anySubscriber(): boolean {
  const pools = POOL_PACKAGES.flatMap((name) => Object.values(poolChannelNames(name)));
  return (
    tracingChannel<CommandContext, CommandContext>(memcachedChannels.command).hasSubscribers ||
    [memcachedChannels.eject, memcachedChannels.rejoin, ...pools].some((name) => channel(name).hasSubscribers)
  );
}

/** Some of everything the instrumentation watches: commands (one failing), both pools, a reserve timeout. */
async function workload(): Promise<void> {
  const mc = client();
  await mc.set('life', 1);
  await mc.getMulti(['life', 'other']);
  await mc.get('bad key').catch(() => {});
  const fifo = closeAfter(new ClientPool(mc, 1, { name: 'fifo' }));
  const held = await fifo.reserve();
  await fifo.reserve({ block: true, timeoutMs: 5 }).catch(() => {});
  held.release();
  await fifo.use((c) => c.get('life'));
  const mapped = closeAfter(new MappedPool(mc, { name: 'mapped' }));
  await mapped.run(() => mapped.use((c) => c.get('life')));
}

describe('enable and disable', () => {
  it('reads the pool channels every pool package publishes on', () => {
    expect(POOL_PACKAGES.map((name) => poolChannelNames(name).reserve)).toEqual([
      fifoChannels.reserve,
      mappedChannels.reserve,
    ]);
  });

  it('subscribes to nothing until enabled, and to nothing once disabled; nothing is emitted after disable()', async () => {
    const { instrumentation, spans, collect } = telemetry({ enabled: false });
    expect(instrumentation.isEnabled).toBe(false);
    expect(anySubscriber()).toBe(false);
    await workload();
    expect(spans()).toEqual([]);

    instrumentation.enable();
    instrumentation.enable(); // idempotent
    expect(anySubscriber()).toBe(true);
    await workload();
    const traced = spans().length;
    expect(traced).toBe(3 + 2); // three commands, then a get through each pool
    const before = await collect();
    expect(histogramCounts(before.get('db.client.connection.wait_time'))).toMatchObject({
      'db.client.connection.pool.name=fifo': { count: 2 },
      'db.client.connection.pool.name=mapped': { count: 1 },
    });
    expect(pointValues(before.get('db.client.connection.timeouts'))).toEqual({
      'db.client.connection.pool.name=fifo': 1,
    });

    instrumentation.disable();
    instrumentation.disable(); // idempotent
    expect(instrumentation.isEnabled).toBe(false);
    expect(anySubscriber()).toBe(false);
    await workload();
    expect(spans()).toHaveLength(traced);
    const after = await collect();
    // The SDK still exports what was recorded before (cumulative sums), and nothing more.
    for (const name of [
      'db.client.connection.wait_time',
      'db.client.connection.use_time',
      'db.client.connection.create_time',
    ]) {
      expect(histogramCounts(after.get(name)), name).toEqual(histogramCounts(before.get(name)));
    }
    expect(pointValues(after.get('db.client.connection.timeouts'))).toEqual(
      pointValues(before.get('db.client.connection.timeouts')),
    );
  });

  it('exports no span of a command that was in flight when disable() was called', async () => {
    const { instrumentation, spans } = telemetry();
    const mc = client();
    const pending = mc.get('in-flight');
    instrumentation.disable();
    await pending;
    expect(spans()).toEqual([]);
  });

  it('is enabled when made, as OpenTelemetry instrumentations are, and registerInstrumentations takes it', async () => {
    const { tracerProvider, meterProvider, spans } = telemetry({ enabled: false });
    const made = new ClonepoolInstrumentation();
    expect(made.isEnabled).toBe(true);
    made.disable();

    // OpenTelemetry's interface, checked by the compiler (this file is type-checked with exactOptionalPropertyTypes).
    const registered: Instrumentation = new ClonepoolInstrumentation({ enabled: false });
    expect(registered.instrumentationName).toBe('@clonepool/opentelemetry');
    const unregister = registerInstrumentations({ instrumentations: [registered], tracerProvider, meterProvider });
    expect((registered as ClonepoolInstrumentation).isEnabled).toBe(true);
    await client().get('registered');
    expect(spans().map((span) => span.attributes['db.operation.name'])).toEqual(['get']);
    unregister();
    expect((registered as ClonepoolInstrumentation).isEnabled).toBe(false);
    expect(anySubscriber()).toBe(false);
  });

  it('gives each of two instrumentations its own span of a command', async () => {
    const first = telemetry();
    const second = telemetry({ recordKeys: true });
    await client().get('twice');
    expect(first.spans().map((span) => span.attributes['db.query.text'])).toEqual([undefined]);
    expect(second.spans().map((span) => span.attributes['db.query.text'])).toEqual(['get twice']);
    second.instrumentation.disable();
    expect(anySubscriber()).toBe(true);
    first.instrumentation.disable();
    expect(anySubscriber()).toBe(false);
  });

  it('moves its metrics to a new meter provider while enabled', async () => {
    const old = telemetry();
    const next = telemetry({ enabled: false });
    old.instrumentation.setMeterProvider(next.meterProvider);
    const fifo = closeAfter(new ClientPool(client(), 1, { name: 'moved' }));
    await fifo.use((mc) => mc.get('k'));
    expect(pointValues((await next.collect()).get('db.client.connection.max'))).toEqual({
      'db.client.connection.pool.name=moved': 1,
    });
    expect((await old.collect()).get('db.client.connection.max')).toBeUndefined();
  });

  it('refuses unknown options, options of the wrong type and providers that are none', () => {
    const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(() => new ClonepoolInstrumentation({ recordKey: true } as never)).toThrow(
      'Option recordKey is not one new ClonepoolInstrumentation() knows; its options are enabled, recordKeys.',
    );
    expect(() => new ClonepoolInstrumentation({ recordKeys: 'yes' } as never)).toThrow(invalid);
    expect(() => new ClonepoolInstrumentation(null as never)).toThrow(invalid);
    const instrumentation = new ClonepoolInstrumentation({ enabled: false });
    expect(() => instrumentation.setConfig({ enabled: 1 } as never)).toThrow(invalid);
    expect(() => instrumentation.setTracerProvider({} as never)).toThrow(invalid);
    expect(() => instrumentation.setMeterProvider(undefined as never)).toThrow(invalid);
    expect(instrumentation.getConfig()).toEqual({ enabled: false, recordKeys: false });
    expect(anySubscriber()).toBe(false);
  });

  it('reports the version in package.json (bump src/version.ts with it)', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(new ClonepoolInstrumentation({ enabled: false }).instrumentationVersion).toBe(manifest.version);
  });
});

describe('failover metrics', () => {
  it('counts ejections and records how long a server was off, by server', async () => {
    const { collect } = telemetry();
    const [a, b] = await Promise.all([ownServer(), ownServer()]);
    const mc = client([a.address, b.address], { distribution: 'ketama', removeFailed: 1, retryTimeoutMs: 100 });
    const ejected = new Promise((resolve) => mc.once('eject', resolve));
    await b.stop();
    await Promise.allSettled(Array.from({ length: 20 }, (_, i) => mc.get(`k${i}`)));
    await ejected;
    await b.restart();
    let back = false;
    mc.once('rejoin', () => {
      back = true;
    });
    while (!back) await sleep(20);
    const metrics = await collect();
    const port = Number(b.address.slice(b.address.lastIndexOf(':') + 1));
    const server = `server.address=127.0.0.1,server.port=${port}`;
    expect(pointValues(metrics.get('clonepool.memcached.ejections'))).toEqual({ [server]: 1 });
    const down = histogramCounts(metrics.get('clonepool.memcached.down_time'))[server]!;
    expect(down.count).toBe(1);
    expect(down.sum).toBeGreaterThanOrEqual(0.1);
  });
});
