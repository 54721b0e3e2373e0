import { Client } from '@clonepool/memcached';
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { lifetime } from '../src/ttl.ts';
import { sharedClient, sharedServer, sharedStore, sleep, track } from './support.ts';

const NOW = Date.UTC(2026, 0, 1);

describe('lifetime', () => {
  it('rounds milliseconds up to seconds and adds the second memcached may take off', () => {
    expect(lifetime(1, NOW)).toEqual({ deadline: NOW + 1, seconds: 2 });
    expect(lifetime(999, NOW)).toEqual({ deadline: NOW + 999, seconds: 2 });
    expect(lifetime(1000, NOW)).toEqual({ deadline: NOW + 1000, seconds: 2 });
    expect(lifetime(1001, NOW)).toEqual({ deadline: NOW + 1001, seconds: 3 });
    expect(lifetime(0.5, NOW)).toEqual({ deadline: NOW + 0.5, seconds: 2 });
  });

  it('never sends 0 (no expiry) for a TTL that has one', () => {
    for (const ms of [Number.MIN_VALUE, 1e-9, 0.001, 1, 60_000, 86_400_000]) {
      expect(lifetime(ms, NOW).seconds).toBeGreaterThanOrEqual(2);
    }
  });

  it('passes TTLs over 30 days as plain seconds (the client turns them into a Unix time)', () => {
    const days31 = 31 * 24 * 3600 * 1000;
    expect(lifetime(days31, NOW)).toEqual({ deadline: NOW + days31, seconds: 31 * 24 * 3600 + 1 });
  });

  it('keeps an item that would outlive January 2038 with no memcached expiry, ended by its deadline', () => {
    const years20 = 20 * 365 * 24 * 3600 * 1000;
    expect(lifetime(years20, NOW)).toEqual({ deadline: NOW + years20, seconds: 0 });
  });

  it('reads undefined, 0 and Infinity as no TTL, as Keyv does', () => {
    for (const ms of [undefined, 0, Number.POSITIVE_INFINITY]) {
      expect(lifetime(ms, NOW)).toEqual({ deadline: undefined, seconds: 0 });
    }
  });

  it('gives a negative TTL a deadline already past', () => {
    expect(lifetime(-5, NOW)).toEqual({ deadline: NOW - 5, seconds: 1 });
  });

  it('refuses NaN, -Infinity and non-numbers with ERR_INVALID_ARG_VALUE', () => {
    for (const ms of [Number.NaN, Number.NEGATIVE_INFINITY, '1000', null, 10n]) {
      expect(() => lifetime(ms, NOW)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
  });
});

/** Waits until the server's once-a-second clock (its `time` stat) has just ticked. */
async function justAfterTick(client: Client): Promise<void> {
  const serverTime = async () => Number([...(await client.stats()).values()][0]!.time);
  const start = await serverTime();
  while ((await serverTime()) === start) await sleep(5);
}

describe('TTLs against a real memcached', () => {
  it("keeps a 1 s value readable for its whole second when memcached's clock ticks right after the write", async () => {
    // memcached stores exptime as its coarse clock + TTL: written 950 ms into a second with a TTL of 1,
    // an item is gone some 50 ms later. The store sends 2 s for 1000 ms, so the value lives its full second.
    const raw = track(new Client(sharedServer()));
    const store = sharedStore();
    await justAfterTick(raw);
    await sleep(950);
    await store.set('keyv:tick', 'v', 1000);
    await sleep(200);
    expect(await store.get('keyv:tick')).toBe('v');
  });

  it('ends a value at its deadline to the millisecond, though memcached still holds the item', async () => {
    const client = sharedClient();
    const store = sharedStore(client);
    await store.set('keyv:short', 'v', 20);
    expect(await store.get('keyv:short')).toBe('v');
    await sleep(40);
    expect(await store.get('keyv:short')).toBeUndefined();
    expect(await store.has('keyv:short')).toBe(false);
    expect(await store.getMany(['keyv:short'])).toEqual([undefined]);
    // memcached was asked for 2 s: the item is there, but nothing reads it any more.
    expect(await client.get('keyv:short')).toEqual(expect.stringContaining('|v'));
  });

  it('lets memcached drop an expired item by itself', async () => {
    const client = sharedClient();
    const store = sharedStore(client);
    await store.set('keyv:gone', 'v', 1);
    await sleep(2_100);
    expect(await client.get('keyv:gone')).toBeUndefined();
  });

  it('hides the value a negative TTL replaces', async () => {
    const store = sharedStore();
    await store.set('keyv:negative', 'old');
    expect(await store.set('keyv:negative', 'new', -1)).toBe(true);
    expect(await store.get('keyv:negative')).toBeUndefined();
  });

  it("expires Keyv's values through Keyv too, with Keyv's own TTL", async () => {
    const keyv = new Keyv({ store: sharedStore(), ttl: 30 });
    await keyv.set('default-ttl', 'v');
    await keyv.set('own-ttl', 'v', 60_000);
    await sleep(60);
    expect(await keyv.get('default-ttl')).toBeUndefined();
    expect(await keyv.get('own-ttl')).toBe('v');
  });
});
