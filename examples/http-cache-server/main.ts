// The HTTP cache server as a program:
//
//   MEMCACHED_SERVERS=10.0.0.1:11211,10.0.0.2:11211,10.0.0.3:11211 PORT=8080 CONCURRENCY=16 pnpm start
//
// Without MEMCACHED_SERVERS it starts three memcached servers of its own (and
// seeds a few documents), which it stops on exit. SIGINT or SIGTERM shuts it
// down gracefully; a second signal exits at once.
import { parseArgs } from 'node:util';
import { Client } from '@clonepool/memcached';
import { seed } from './documents.js';
import { type MemcachedServers, serversFromEnv, startServers } from './memcached.js';
import { createCacheServer, DEFAULT_CONCURRENCY } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    concurrency: { type: 'string', short: 'c', default: process.env.CONCURRENCY ?? String(DEFAULT_CONCURRENCY) },
  },
});
const port = Number(values.port);
const concurrency = Number(values.concurrency);

let own: MemcachedServers | undefined;
let servers = serversFromEnv();
if (servers === undefined) {
  own = await startServers(3, (server) => console.log(`started memcached on ${server.address} (pid ${server.pid})`));
  servers = [...own.addresses];
  const client = new Client(servers);
  console.log(`seeded ${await seed(client)} keys`);
  await client.close();
}

const app = createCacheServer({ servers, concurrency });
let url: string;
try {
  url = await app.listen(port, values.host);
} catch (error) {
  await app.close();
  await own?.stop();
  throw error;
}
console.log(`listening on ${url} (pool of ${concurrency} clients over ${servers.join(', ')})`);
console.log(`try: curl ${url}/user:ada`);

let shuttingDown = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) {
    console.log(`${signal} again: exiting now`);
    process.exit(1);
  }
  shuttingDown = true;
  console.log(`${signal}: shutting down (stop accepting, finish requests in flight, close the pool)`);
  try {
    await app.close();
    await own?.stop();
    console.log('closed');
  } catch (error) {
    console.error('shutdown failed:', error);
    process.exitCode = 1;
  }
}
process.on('SIGINT', (signal) => void shutdown(signal));
process.on('SIGTERM', (signal) => void shutdown(signal));
