// Sample documents the demo (and main.ts, when it starts its own memcached) seeds.
import type { Client } from '@clonepool/memcached';

/** A few JSON documents under readable keys. */
export const DOCUMENTS: Readonly<Record<string, unknown>> = {
  'user:ada': { id: 1, name: 'Ada Lovelace', langs: ['en', 'fr'], admin: true },
  'user:alan': { id: 2, name: 'Alan Turing', langs: ['en'], admin: false },
  'config:site': { title: 'clonepool demo', theme: 'dark', features: { search: true, beta: false } },
  'product:42': { sku: 'CP-42', name: 'Answer', price: 42.0, tags: ['towel', 'guide'], stock: 7 },
  greeting: 'hello from memcached',
};

/** How many generated `item:<n>` documents the load spreads over, beside {@link DOCUMENTS}. */
export const GENERATED_ITEMS = 200;

/** Writes {@link DOCUMENTS} and `item:0` … `item:<GENERATED_ITEMS-1>`; resolves how many keys were written. */
export async function seed(client: Client): Promise<number> {
  const writes: Promise<boolean>[] = [];
  for (const [key, value] of Object.entries(DOCUMENTS)) writes.push(client.set(key, value));
  for (let n = 0; n < GENERATED_ITEMS; n++) {
    writes.push(client.set(`item:${n}`, { n, square: n * n, label: `item number ${n}` }));
  }
  const stored = await Promise.all(writes);
  return stored.filter(Boolean).length;
}

/** The keys a load run asks for: every seeded key, and one miss in ten. */
export function loadKeys(): string[] {
  const keys = [...Object.keys(DOCUMENTS)];
  for (let n = 0; n < GENERATED_ITEMS; n++) keys.push(`item:${n}`);
  const misses = Math.ceil(keys.length / 9);
  for (let n = 0; n < misses; n++) keys.push(`missing:${n}`);
  return keys;
}
