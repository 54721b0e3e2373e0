// Keyv's own test suite, as published (@keyv/test-suite), against a real memcached.
import keyvTestSuite from '@keyv/test-suite';
import Keyv from 'keyv';
import * as vitest from 'vitest';
import type { KeyvMemcached } from '../src/index.ts';
import { sharedClient, sharedStore } from './support.ts';

// The suite asks for a fresh store many times per test and never disconnects one: they share one
// client (each store adds an `error` listener to it), and each test's stores are disconnected after it.
const stores = new Set<KeyvMemcached>();
let client: ReturnType<typeof sharedClient> | undefined;
function store(): KeyvMemcached {
  client ??= sharedClient();
  // Keyv sets the namespace it was given (`keyv` by default) right after.
  const created = sharedStore(client);
  stores.add(created);
  return created;
}
vitest.afterEach(async () => {
  await Promise.all([...stores].map((created) => created.disconnect()));
  stores.clear();
});

keyvTestSuite(vitest, Keyv, store);
