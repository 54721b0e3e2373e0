// Express 5 with one memcached client per request:
//
//   MEMCACHED_SERVERS=127.0.0.1:21211 PORT=3000 pnpm start
//   curl -X PUT -H 'content-type: application/json' -d '{"name":"towel"}' http://127.0.0.1:3000/items/42
//   curl http://127.0.0.1:3000/items/42
//
// Without MEMCACHED_SERVERS it starts a memcached of its own and stops it on exit.
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { createItemsApp } from './app.js';

let own: TestMemcached | undefined;
let servers = process.env.MEMCACHED_SERVERS?.trim();
if (!servers) {
  own = await startMemcached();
  servers = own.address;
  console.log(`started memcached on ${own.address} (pid ${own.pid})`);
}

const items = createItemsApp(servers);
const url = await items.listen(Number(process.env.PORT ?? 3000));
console.log(`listening on ${url}`);
console.log(`try: curl -X PUT -d '{"name":"towel"}' ${url}/items/42 && curl ${url}/items/42`);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  await items.close();
  await own?.stop();
  const { clones, relinquished, size } = items.pool.stats();
  console.log(`${signal}: closed after ${clones} clients, ${relinquished} relinquished, ${size} left`);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));
