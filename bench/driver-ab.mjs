// A/B of two builds of our driver in one process, for a change to its inside that must
// cost nothing. Both clients run against one seeded memcached in alternating slices
// (A B, B A, …), so load on the machine falls on both alike; it prints, per shape, the
// median CPU and wall time per call of each build and the median of the per-slice ratios.
//
//   node bench/driver-ab.mjs <build A> <build B>
//
// A build is a copy of packages/memcached-driver/dist placed under bench/ (so that its
// `@clonepool/core` resolves through bench/node_modules), e.g. bench/ab/before/dist:
// `dist/` folders are git-ignored. Settings: AB_SHAPES (get,multi), AB_CONCURRENCY (1 and
// 200 for get, 1 and 10 for multi), AB_SLICES (40), AB_SLICE_MS (300).
import net from 'node:net';
import { resolve } from 'node:path';
import { benchKeys, seedBenchData, startMemcached } from './lib/memcached-server.mjs';

const [a, b] = process.argv.slice(2).map((dir) => resolve(dir));
if (a === undefined || b === undefined) {
  console.error('usage: node bench/driver-ab.mjs <build A> <build B>');
  process.exit(2);
}
const shapes = (process.env.AB_SHAPES ?? 'get,multi').split(',');
const slices = Number(process.env.AB_SLICES ?? 40);
const sliceMs = Number(process.env.AB_SLICE_MS ?? 300);
const KEYS = benchKeys(100, 1_000);
/** How many async layers a `layered` get sits under. */
const DEPTH = Number(process.env.AB_DEPTH ?? 3);
const GROUPS = Array.from({ length: 10 }, (_, i) => KEYS.slice(i * 100, i * 100 + 100));

const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];

/** Runs `concurrency` loops of `call` for one slice; returns CPU and wall µs per call. */
async function slice(call, concurrency) {
  let calls = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const loop = async () => {
    while (performance.now() - started < sliceMs) {
      await call();
      calls++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / calls, wall: ((performance.now() - started) * 1_000) / calls };
}

/** A call of `shape` on `client` that throws unless every value came back. */
function caller(client, shape) {
  let next = 0;
  if (shape === 'get') {
    return async () => {
      if ((await client.get(KEYS[next++ % KEYS.length]))?.length !== 100) throw new Error('a get missed');
    };
  }
  if (shape === 'layered') {
    // A get under a few layers of async functions (a cache library, a loader), each one await deeper.
    const layer = async (key, depth) => (depth === 0 ? client.get(key) : await layer(key, depth - 1));
    return async () => {
      if ((await layer(KEYS[next++ % KEYS.length], DEPTH))?.length !== 100) throw new Error('a get missed');
    };
  }
  if (shape === 'sockets') return socketCaller(client);
  return async () => {
    if ((await client.getMulti(GROUPS[next++ % GROUPS.length])).size !== 100) throw new Error('a getMulti missed');
  };
}

/**
 * A get per request of a loopback echo: each call writes a byte to a local server, whose
 * 'data' handler gets a key and answers, as a web server's handler would. The gets are then
 * issued from many poll-phase callbacks, not from the continuations of the driver's replies.
 */
function socketCaller(client) {
  let next = 0;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', async () => {
      const value = await client.get(KEYS[next++ % KEYS.length]);
      socket.write(value?.length === 100 ? 'y' : 'n');
    });
  });
  const ready = new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = [];
  const open = async () => {
    await ready;
    const socket = net.connect(server.address().port, '127.0.0.1');
    socket.setNoDelay(true);
    // One request at a time per socket: its reply settles the one waiting.
    socket.on('data', (reply) => socket.settle(reply[0] === 0x79));
    await new Promise((resolve) => socket.once('connect', resolve));
    return socket;
  };
  const call = async () => {
    const socket = pool.pop() ?? (await open());
    const ok = await new Promise((resolve) => {
      socket.settle = resolve;
      socket.write('g');
    });
    pool.push(socket);
    if (!ok) throw new Error('a get missed');
  };
  call.close = () => {
    for (const socket of pool) socket.destroy();
    server.close();
  };
  return call;
}

const serverCount = Number(process.env.AB_SERVERS ?? 1);
const servers = [];
for (let i = 0; i < serverCount; i++) servers.push(await startMemcached());
try {
  // Every server holds every key, so whichever server a client's ring picks, the key is there.
  for (const server of servers) await seedBenchData(server.address, { sizes: [100], count: KEYS.length });
  const builds = [a, b];
  const addresses = servers.map((server) => server.address);
  const clients = await Promise.all(
    builds.map(
      async (dir) =>
        new (await import(`${dir}/index.js`)).Client(addresses, serverCount > 1 ? { distribution: 'ketama' } : {}),
    ),
  );
  for (const shape of shapes) {
    const levels = process.env.AB_CONCURRENCY?.split(',').map(Number) ?? (shape === 'multi' ? [1, 10] : [1, 200]);
    for (const concurrency of levels) {
      const calls = clients.map((client) => caller(client, shape));
      for (const call of calls) await slice(call, concurrency); // warm-up
      const results = [[], []];
      for (let i = 0; i < slices; i++) {
        for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) results[which].push(await slice(calls[which], concurrency));
      }
      for (const call of calls) call.close?.();
      const ratio = (field) => median(results[0].map((r, i) => results[1][i][field] / r[field]));
      console.log(`${shape}, ${concurrency} in flight:`);
      for (const [i, dir] of builds.entries()) {
        const cpu = median(results[i].map((r) => r.cpu)).toFixed(2);
        const wall = median(results[i].map((r) => r.wall)).toFixed(2);
        console.log(`  ${i === 0 ? 'A' : 'B'} CPU ${cpu} µs/call, wall ${wall} µs/call  (${dir})`);
      }
      console.log(`  B ÷ A per slice, median: CPU ${ratio('cpu').toFixed(3)}, wall ${ratio('wall').toFixed(3)}`);
    }
  }
  await Promise.all(clients.map((client) => client.close()));
} finally {
  for (const server of servers) await server.stop();
}
