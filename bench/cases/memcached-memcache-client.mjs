// memcache-client (electrode) with its defaults: new MemcacheClient({ server }),
// get(key) resolves to { value } and get([keys]) to { key: { value } }.
import { MemcacheClient } from 'memcache-client';
import { runCase } from './memcached-shapes.mjs';

await runCase('memcache-client', async (servers, isValue) => {
  if (servers.length !== 1) throw new Error('memcache-client treats several servers as redundant copies, not a ring');
  const client = new MemcacheClient({ server: servers[0] });
  return {
    get: async (key) => (await client.get(key))?.value,
    async getMulti(keys) {
      const values = await client.get(keys);
      let hits = 0;
      for (const key of keys) if (isValue(values[key]?.value)) hits++;
      return hits;
    },
    close: () => client.shutdown(),
  };
});
