// Hash values and key placements computed by libmemcached itself (through
// pylibmc and libhashkit; see test/helpers/pylibmc_vectors.py), checked
// against ours key by key.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDistribution, type DistributionKind, type KeyHash, keyHashes } from '../src/distribution/index.js';
import {
  askPylibmc,
  BEHAVIORS,
  freePort,
  hasPylibmc,
  hex,
  PYTHON,
  parseSpec,
  VECTORS_SCRIPT,
} from './helpers/pylibmc.js';

interface Placement {
  name: string;
  servers: string[];
  behaviors: { hash?: KeyHash; ketama?: boolean; ketama_weighted?: boolean };
  effective: { hash: string; distribution: string; ketama: number; ketama_weighted: number };
  servers_for: number[];
}
interface Vectors {
  pylibmc: string;
  libmemcached: string;
  keys: string[];
  hashes: Record<KeyHash, number[]>;
  placements: Placement[];
}

const FIXTURE = new URL('./fixtures/distribution-vectors.json', import.meta.url);
const vectors = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Vectors;
const keys = vectors.keys.map((k) => new Uint8Array(Buffer.from(k, 'hex')));

/** Our kind and options for a pylibmc behaviors dict, as the migration docs map them. */
function ours(behaviors: Placement['behaviors']): [DistributionKind, { hash?: KeyHash }] {
  const kind: DistributionKind = behaviors.ketama_weighted ? 'ketama-weighted' : behaviors.ketama ? 'ketama' : 'modula';
  // pylibmc applies ketama_weighted after hash, which makes the key hash md5.
  return [kind, behaviors.hash !== undefined && kind !== 'ketama-weighted' ? { hash: behaviors.hash } : {}];
}

/** The indexes of the keys placed differently, with the first few shown. */
function mismatches(expected: readonly number[], actual: readonly number[]): string[] {
  const wrong: string[] = [];
  expected.forEach((e, i) => {
    if (actual[i] !== e) wrong.push(`${vectors.keys[i]}: libmemcached ${e}, ours ${actual[i]}`);
  });
  return wrong;
}

describe(`key hashes match libhashkit (libmemcached ${vectors.libmemcached})`, () => {
  for (const name of Object.keys(vectors.hashes) as KeyHash[]) {
    it(`hashes ${keys.length} keys as libhashkit's ${name} does, non-ASCII and every tail length included`, () => {
      const hash = keyHashes[name];
      expect(mismatches(vectors.hashes[name], keys.map(hash))).toEqual([]);
    });
  }
});

describe(`placement matches pylibmc ${vectors.pylibmc}'s Client.hash (memcached_generate_hash)`, () => {
  for (const placement of vectors.placements) {
    const [kind, options] = ours(placement.behaviors);
    it(`places every key as libmemcached does: ${placement.name} → ${kind} ${JSON.stringify(options)}`, () => {
      const distribution = createDistribution(placement.servers.map(parseSpec), kind, options);
      const placed = keys.map((k) => distribution.serverFor(k));
      expect(mismatches(placement.servers_for, placed)).toEqual([]);
      // A config where every key lands on one server proves little; most must spread.
      if (placement.servers.length > 1 && !placement.name.includes('fnv1_64')) {
        expect(new Set(placed).size).toBeGreaterThan(1);
      }
    });
  }

  it('leaves port 11211 out of point names: naming it host:11211-i places keys elsewhere', () => {
    const placement = vectors.placements.find((p) => p.name.includes('host-index'));
    if (placement === undefined) throw new Error('the fixture lost its port-11211 placement');
    // The same servers on port 11212 get "host:11212-i" names and a different ring.
    const moved = placement.servers.map((spec) => ({ ...parseSpec(spec), port: 11212 }));
    const other = createDistribution(moved, 'ketama');
    const placed = keys.map((k) => other.serverFor(k));
    expect(mismatches(placement.servers_for, placed).length).toBeGreaterThan(keys.length / 10);
  });
});

describe.runIf(hasPylibmc)('ejected servers leave the ring as libmemcached auto-eject takes them off', () => {
  const CASES = [
    { kind: 'ketama', weights: [1, 1, 1] },
    { kind: 'ketama', weights: [1, 3, 2] },
    { kind: 'ketama-weighted', weights: [2, 5, 1, 1] },
  ] as const;
  for (const { kind, weights } of CASES) {
    it(`moves exactly the keys libmemcached moves: ${kind}, weights ${weights.join('/')}, server 1 refusing`, async () => {
      // Ports nobody listens on, so libmemcached's connect is refused at once.
      const ports = await Promise.all(weights.map(() => freePort()));
      const specs = weights.map((w, i) => `127.0.0.1:${ports[i]}${w === 1 ? '' : `:${w}`}`);
      const sample = keys.filter((k) => k.every((b) => b > 0x20 && b < 0x7f) && k.length > 0);
      const { before, after } = await askPylibmc<{ before: number[]; after: number[] }>({
        op: 'eject',
        servers: specs,
        behaviors: BEHAVIORS[kind],
        keys: sample.map(hex),
        server: 1,
      });
      const list = specs.map(parseSpec);
      const ring = createDistribution(list, kind);
      const ejected = createDistribution(list, kind, { ejected: new Set([1]) });
      expect(sample.map((k) => ring.serverFor(k))).toEqual(before);
      expect(after).not.toContain(1);
      expect(sample.map((k) => ejected.serverFor(k))).toEqual(after);
    });
  }
});

describe.runIf(hasPylibmc)('the committed vectors are what libmemcached computes on this machine', () => {
  it('regenerates test/fixtures/distribution-vectors.json byte for byte', () => {
    const run = spawnSync(PYTHON, [VECTORS_SCRIPT], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout === readFileSync(FIXTURE, 'utf8')).toBe(true);
  });
});
