// Our driver, @clonepool/memcached, with its defaults: new Client('host:port')
// (or a list of servers), get(key), getMulti(keys) → Map (or object) of hits.
// The suite runs it a second time with `options: { mergeGets: false }` in its
// arguments, to compare merged gets with one command per get.
// Runs the built dist/ (what users get): build it first with
// `npx tsc -p tsconfig.build.json` in packages/memcached-driver; the suite
// runs src/ through tsx instead with BENCH_DRIVER=src.
import { caseArgs } from '../lib/harness.mjs';
import { runCase } from './memcached-shapes.mjs';

const { options } = caseArgs();

await runCase('clonepool', async (servers, isValue) => {
  // Imported here so that a driver that does not load yet is reported by the probe, not a crash.
  const { Client } = await import('@clonepool/memcached');
  const client = new Client(servers.length === 1 ? servers[0] : servers, options);
  return {
    get: (key) => client.get(key),
    async getMulti(keys) {
      const found = await client.getMulti(keys);
      let hits = 0;
      for (const value of found instanceof Map ? found.values() : Object.values(found)) if (isValue(value)) hits++;
      return hits;
    },
    close: () => client.close(),
  };
});
