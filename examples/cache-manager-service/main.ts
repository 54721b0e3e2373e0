// A product service with cache-manager over memcached:
//
//   MEMCACHED_SERVERS=127.0.0.1:21211 PORT=3000 pnpm start
//   curl -i http://127.0.0.1:3000/products/42     # x-cache: miss, after a 100 ms lookup
//   curl -i http://127.0.0.1:3000/products/42     # x-cache: hit
//   curl -X POST http://127.0.0.1:3000/cache/clear
//
// Without MEMCACHED_SERVERS it starts a memcached of its own and stops it on exit.
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { createProductService } from './app.js';

let own: TestMemcached | undefined;
let servers = process.env.MEMCACHED_SERVERS?.trim();
if (!servers) {
  own = await startMemcached();
  servers = own.address;
  console.log(`started memcached on ${own.address} (pid ${own.pid})`);
}

const service = createProductService({ servers });
const url = await service.listen(Number(process.env.PORT ?? 3000));
console.log(`listening on ${url}`);
console.log(`try: curl -i ${url}/products/42 (twice), then curl -X POST ${url}/cache/clear`);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  const stats = await fetch(`${url}/stats`).then((response) => response.json() as Promise<{ lookups: number }>);
  await service.close();
  await own?.stop();
  console.log(`${signal}: closed after ${stats.lookups} lookups`);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));
