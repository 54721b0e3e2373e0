// Our driver, @clonepool/memcached, with its defaults: new Client('host:port')
// (or a list of servers), get(key), getMulti(keys) → Map (or object) of hits.
// Runs the built dist/ (what users get): build it first with
// `npx tsc -p tsconfig.build.json` in packages/memcached-driver.
import { Client } from '@clonepool/memcached';
import { runCase } from './memcached-shapes.mjs';

await runCase('clonepool', async (servers, isValue) => {
  const client = new Client(servers.length === 1 ? servers[0] : servers);
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
