// redis-server for the benchmarks that compare with a Redis-backed peer: one private,
// memory-only server on a free loopback port (never 6379), killed with the suite.
import { spawn } from 'node:child_process';
import { freePort, listening } from './memcached-server.mjs';

export const REDIS = process.env.REDIS_BIN ?? '/usr/bin/redis-server';

/** Starts redis-server; resolves to `{ host, port, stop() }` once it accepts connections. */
export async function startRedis() {
  const port = await freePort();
  // No snapshots and no append-only file: nothing is written to disk.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const stop = await listening(spawn(REDIS, args, { stdio: 'ignore' }), port);
  if (stop === undefined) throw new Error(`redis-server did not start on port ${port}`);
  return { host: '127.0.0.1', port, stop };
}
