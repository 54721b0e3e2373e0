// Placement proven on real servers, in both directions. pylibmc (libmemcached)
// sets 10,000 keys over several memcached processes, each server is asked
// over a raw socket which keys it holds, and every key must sit on the server
// our distribution names; then our Client sets 10,000 keys and pylibmc must
// find every one. A placement mismatch shows up as a key on the wrong server
// or a miss, so neither can pass by accident.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../src/client.js';
import { createDistribution, type DistributionKind } from '../src/distribution/index.js';
import {
  askPylibmc,
  BEHAVIORS,
  hasMemcached,
  hasPylibmc,
  hex,
  keysHeldBy,
  parseSpec,
  type RunningMemcached,
  startMemcached,
  stopMemcached,
} from './helpers/pylibmc.js';

const KEY_COUNT = 10_000;
const encoder = new TextEncoder();

/** 10,000 keys under `prefix`; every tenth is non-ASCII, which libmemcached hashes through signed chars. */
function makeKeys(prefix: string): Uint8Array[] {
  return Array.from({ length: KEY_COUNT }, (_, i) =>
    encoder.encode(i % 10 === 0 ? `${prefix}:clé:${i}` : `${prefix}:key:${i}`),
  );
}

interface Case {
  readonly name: string;
  readonly kind: DistributionKind;
  readonly weights: readonly number[];
}

const CASES: readonly Case[] = [
  { name: 'modula over 3 servers', kind: 'modula', weights: [1, 1, 1] },
  { name: 'ketama over 3 servers', kind: 'ketama', weights: [1, 1, 1] },
  { name: 'ketama over 5 servers with unequal weights', kind: 'ketama', weights: [1, 2, 3, 5, 1] },
  { name: 'ketama-weighted over 5 servers with unequal weights', kind: 'ketama-weighted', weights: [1, 2, 3, 5, 1] },
  { name: 'ketama-weighted over 5 servers of equal weight', kind: 'ketama-weighted', weights: [1, 1, 1, 1, 1] },
];

describe.runIf(hasPylibmc && hasMemcached)('keys set by pylibmc sit on the servers our distribution names', () => {
  const servers: RunningMemcached[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) servers.push(await startMemcached());
  }, 30_000);

  afterAll(async () => {
    await Promise.all(servers.map(stopMemcached));
  });

  CASES.forEach(({ name, kind, weights }, c) => {
    it(`places all ${KEY_COUNT} keys as pylibmc does: ${name}`, async () => {
      const specs = weights.map((w, i) => `127.0.0.1:${servers[i]?.port}${w === 1 ? '' : `:${w}`}`);
      const keys = makeKeys(`case${c}`);
      const { failed } = await askPylibmc<{ failed: string[] }>({
        op: 'set',
        servers: specs,
        behaviors: BEHAVIORS[kind],
        keys: keys.map(hex),
      });
      expect(failed).toEqual([]);

      const holders = new Map<string, number[]>();
      for (let s = 0; s < specs.length; s++) {
        for (const key of await keysHeldBy(servers[s]?.port as number, keys)) {
          holders.set(key, [...(holders.get(key) ?? []), s]);
        }
      }
      const distribution = createDistribution(specs.map(parseSpec), kind);
      const wrong: string[] = [];
      const perServer = new Array<number>(specs.length).fill(0);
      for (const key of keys) {
        const held = holders.get(hex(key)) ?? [];
        const ours = distribution.serverFor(key);
        perServer[ours] = (perServer[ours] ?? 0) + 1;
        if (held.length !== 1 || held[0] !== ours) {
          wrong.push(`${Buffer.from(key).toString()}: pylibmc put it on ${JSON.stringify(held)}, ours says ${ours}`);
        }
      }
      console.log(`${name}: keys per server ${perServer.join(' / ')}`);
      expect(wrong.slice(0, 10)).toEqual([]);
      expect(wrong.length).toBe(0);
      // Every server got a share, so the check above compared real choices.
      expect(perServer.every((n) => n > 0)).toBe(true);
    }, 60_000);
  });
});

describe.runIf(hasPylibmc && hasMemcached)('keys set by our client are all found by pylibmc', () => {
  const servers: RunningMemcached[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) servers.push(await startMemcached());
  }, 30_000);

  afterAll(async () => {
    await Promise.all(servers.map(stopMemcached));
  });

  CASES.forEach(({ name, kind, weights }, c) => {
    it(`pylibmc finds all ${KEY_COUNT} keys our Client set: ${name}`, async () => {
      const specs = weights.map((w, i) => `127.0.0.1:${servers[i]?.port}${w === 1 ? '' : `:${w}`}`);
      const keys = makeKeys(`reverse${c}`);
      const client = new Client(specs, { distribution: kind });
      try {
        const BATCH = 500;
        for (let i = 0; i < keys.length; i += BATCH) {
          const stored = await Promise.all(keys.slice(i, i + BATCH).map((key) => client.set(key, 'v')));
          expect(stored.every(Boolean)).toBe(true);
        }
      } finally {
        await client.close();
      }
      const { missing } = await askPylibmc<{ missing: string[] }>({
        op: 'get',
        servers: specs,
        behaviors: BEHAVIORS[kind],
        keys: keys.map(hex),
      });
      expect(missing.slice(0, 10)).toEqual([]);
      expect(missing.length).toBe(0);
      // And each key sits on exactly the server libmemcached would ask.
      const distribution = createDistribution(specs.map(parseSpec), kind);
      const perServer = await Promise.all(servers.slice(0, specs.length).map((s) => keysHeldBy(s.port, keys)));
      const misplaced = keys.filter((key) => !perServer[distribution.serverFor(key)]?.has(hex(key)));
      expect(misplaced.length).toBe(0);
    }, 60_000);
  });
});

describe.runIf(hasPylibmc && hasMemcached)("a key prefix is not hashed, as with pylibmc's namespace", () => {
  const servers: RunningMemcached[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await startMemcached());
  }, 30_000);

  afterAll(async () => {
    await Promise.all(servers.map(stopMemcached));
  });

  for (const kind of ['modula', 'ketama'] as const) {
    it(`pylibmc with namespace "ns:" finds every key our Client set with keyPrefix "ns:": ${kind}`, async () => {
      const specs = servers.map((s) => `127.0.0.1:${s.port}`);
      const keys = makeKeys(`prefixed-${kind}`).slice(0, 2_000);
      const client = new Client(specs, { distribution: kind, keyPrefix: 'ns:' });
      try {
        const stored = await Promise.all(keys.map((key) => client.set(key, 'v')));
        expect(stored.every(Boolean)).toBe(true);
      } finally {
        await client.close();
      }
      const { missing } = await askPylibmc<{ missing: string[] }>({
        op: 'get',
        servers: specs,
        behaviors: { ...BEHAVIORS[kind], namespace: 'ns:' },
        keys: keys.map(hex),
      });
      expect(missing.length).toBe(0);
    }, 60_000);
  }
});
