// memjs (binary protocol) with its defaults: Client.create('host:port,...'),
// get() resolves to { value, flags }. memjs 1.3 has no multi-get, so a memjs
// user fetches many keys with one get() per key, all in flight at once.
import memjs from 'memjs';
import { runCase } from './memcached-shapes.mjs';

await runCase('memjs', async (servers, isValue) => {
  const client = memjs.Client.create(servers.join(','));
  return {
    get: async (key) => (await client.get(key)).value,
    async getMulti(keys) {
      const replies = await Promise.all(keys.map((key) => client.get(key)));
      let hits = 0;
      for (const { value } of replies) if (isValue(value)) hits++;
      return hits;
    },
    close: () => client.close(),
  };
});
