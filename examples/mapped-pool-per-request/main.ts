// A MappedPool behind node:http: one memcached client per request.
//
//   MEMCACHED_SERVERS=127.0.0.1:21211 PORT=8080 pnpm start
//   curl http://127.0.0.1:8080/users/ada
//
// Without MEMCACHED_SERVERS it starts a memcached of its own and stops it on exit.
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { createProfileServer } from './app.js';

let own: TestMemcached | undefined;
let servers = process.env.MEMCACHED_SERVERS?.trim();
if (!servers) {
  own = await startMemcached();
  servers = own.address;
  console.log(`started memcached on ${own.address} (pid ${own.pid})`);
}

const app = createProfileServer(servers);
const url = await app.listen(Number(process.env.PORT ?? 8080));
console.log(`listening on ${url}`);
console.log(`try: curl ${url}/users/ada   (three reserves, one client per request)`);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  await app.close();
  await own?.stop();
  const { clones, relinquished, size } = app.pool.stats();
  console.log(`${signal}: closed after ${clones} clients, ${relinquished} relinquished, ${size} left`);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));
