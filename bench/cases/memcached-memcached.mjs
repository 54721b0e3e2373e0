// memcached (3rd-Eden) with its defaults: new Memcached('host:port') or a list
// of servers (its own hash ring), callback API, getMulti(keys) → { key: value }.
import Memcached from 'memcached';
import { runCase } from './memcached-shapes.mjs';

await runCase('memcached', async (servers, isValue) => {
  const client = new Memcached(servers.length === 1 ? servers[0] : servers);
  return {
    get: (key) =>
      new Promise((resolve, reject) => client.get(key, (err, value) => (err ? reject(err) : resolve(value)))),
    getMulti: (keys) =>
      new Promise((resolve, reject) =>
        client.getMulti(keys, (err, values) => {
          if (err) return reject(err);
          let hits = 0;
          for (const key of keys) if (isValue(values[key])) hits++;
          resolve(hits);
        }),
      ),
    close: () => client.end(),
  };
});
