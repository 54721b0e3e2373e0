// One of the P processes of a get-or-set case (suites/get-or-set.mjs): `concurrency` callers
// in a closed loop over `keyCount` hot keys, each call through the case's strategy, whose
// factory takes `factoryMs`. From `startAt` (ms since the epoch, the same for every process)
// it runs `warmupMs` then `durationMs`; it writes each measured call as (start, latency, key)
// to `samplesFile` (Float32 triples, start in ms after `startAt`) and reports every factory run
// as (key, start in ms since the epoch).
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { caseArgs, report } from '../lib/harness.mjs';

const args = caseArgs();
const { strategy, memcached, redisPort, prefix, keyCount, concurrency, factoryMs, ttlSeconds, graceSeconds } = args;
const keys = Array.from({ length: keyCount }, (_, i) => `${prefix}hot:${i}`);
/** Milliseconds since the epoch, with the sub-millisecond part: comparable across the processes. */
const now = () => performance.timeOrigin + performance.now();

/** Every factory run: key index and start, flat. */
const runs = [];
let version = 0;
/** The "database query" every strategy caches: 50 ms, then a value naming the key and the run. */
const factories = keys.map((key, i) => async () => {
  runs.push(i, now());
  await sleep(factoryMs);
  return `value of ${key} #${++version} from ${process.pid}`;
});

/** Each strategy as its docs show it: a call per key index, and how to close. */
const STRATEGIES = {
  /** The baseline: a plain get of a key that never expires. */
  async hit() {
    const { Client } = await import('@clonepool/memcached');
    const client = new Client(memcached);
    return { call: (i) => client.get(keys[i]), close: () => client.close() };
  },
  /** Look-aside with no protection: get, and on a miss run the factory and set. */
  async 'get-miss-set'() {
    const { Client } = await import('@clonepool/memcached');
    const client = new Client(memcached);
    const call = async (i) => {
      const cached = await client.get(keys[i]);
      if (cached !== undefined) return cached;
      const value = await factories[i]();
      await client.set(keys[i], value, { ttl: ttlSeconds });
      return value;
    };
    return { call, close: () => client.close() };
  },
  async 'get-or-set'() {
    const { Client } = await import('@clonepool/memcached');
    const client = new Client(memcached);
    const options = { ttl: ttlSeconds, grace: graceSeconds };
    return { call: (i) => client.getOrSet(keys[i], factories[i], options), close: () => client.close() };
  },
  /** Our hit path: getOrSet of a key stored for good (ttl 0), so it never expires. */
  async 'get-or-set-hit'() {
    const { Client } = await import('@clonepool/memcached');
    const client = new Client(memcached);
    const options = { ttl: 0 };
    return { call: (i) => client.getOrSet(keys[i], factories[i], options), close: () => client.close() };
  },
  async 'get-or-set-no-grace'() {
    const { Client } = await import('@clonepool/memcached');
    const client = new Client(memcached);
    const options = { ttl: ttlSeconds };
    return { call: (i) => client.getOrSet(keys[i], factories[i], options), close: () => client.close() };
  },
  /** cache-manager 7's wrap over Keyv and @clonepool/keyv: refreshed in the background once ttl has passed. */
  async 'cache-manager'() {
    const { createCache } = await import('cache-manager');
    const { KeyvMemcached } = await import('@clonepool/keyv');
    const { default: Keyv } = await import('keyv');
    const cache = createCache({ stores: [new Keyv({ store: new KeyvMemcached(memcached), namespace: prefix })] });
    const ttlMs = (ttlSeconds + graceSeconds) * 1_000;
    const refreshThresholdMs = graceSeconds * 1_000;
    return {
      call: (i) => cache.wrap(keys[i], factories[i], ttlMs, refreshThresholdMs),
      close: () => cache.disconnect(),
    };
  },
  /** bentocache's multi-tier setup for several instances: memory L1, Redis L2 and a Redis bus. */
  async bentocache() {
    const { BentoCache, bentostore } = await import('bentocache');
    const { memoryDriver } = await import('bentocache/drivers/memory');
    const { redisBusDriver, redisDriver } = await import('bentocache/drivers/redis');
    const connection = { host: '127.0.0.1', port: redisPort };
    const bento = new BentoCache({
      default: 'cache',
      prefix,
      stores: {
        cache: bentostore()
          .useL1Layer(memoryDriver({ maxSize: '10mb' }))
          .useL2Layer(redisDriver({ connection }))
          .useBus(redisBusDriver({ connection })),
      },
    });
    const options = keys.map((key, i) => ({
      key,
      factory: factories[i],
      ttl: `${ttlSeconds}s`,
      grace: `${graceSeconds}s`,
    }));
    return { call: (i) => bento.getOrSet(options[i]), close: () => bento.disconnectAll() };
  },
};

const { call, close } = await STRATEGIES[strategy]();
const measureFrom = args.startAt + args.warmupMs;
const end = measureFrom + args.durationMs;
/** Measured calls as (start after startAt, latency, key), in ms, grown by doubling. */
let samples = new Float32Array(3 * 65_536);
let n = 0;
const tally = { calls: 0, bad: 0, errors: 0, firstError: undefined };

async function caller(first) {
  for (let j = first; ; j++) {
    const start = now();
    if (start >= end) return;
    const i = j % keyCount;
    try {
      const value = await call(i);
      if (typeof value !== 'string' || !value.startsWith(`value of ${keys[i]} `)) tally.bad++;
    } catch (error) {
      tally.errors++;
      tally.firstError ??= String(error?.stack ?? error);
    }
    tally.calls++;
    if (start < measureFrom) continue;
    if (n + 3 > samples.length) {
      const grown = new Float32Array(samples.length * 2);
      grown.set(samples);
      samples = grown;
    }
    samples[n++] = start - args.startAt;
    samples[n++] = now() - start;
    samples[n++] = i;
  }
}

await sleep(Math.max(0, args.startAt - Date.now()));
await Promise.all(Array.from({ length: concurrency }, (_, w) => caller(w)));
await writeFile(args.samplesFile, new Uint8Array(samples.buffer, 0, n * 4));
await close();
report({ pid: process.pid, ...tally, measured: n / 3, factoryRuns: runs });
