// Where the memcached servers come from: MEMCACHED_SERVERS, or ones we start and must stop.
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';

/** Servers to use, and how to stop the ones this process started (none when they came from the environment). */
export interface MemcachedServers {
  readonly addresses: readonly string[];
  /** The servers this process started, with their pids. */
  readonly started: readonly TestMemcached[];
  /** Stops every server this process started; idempotent. */
  stop(): Promise<void>;
}

/** Reads `MEMCACHED_SERVERS` (comma-separated `host:port`); undefined when unset or blank. */
export function serversFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = env.MEMCACHED_SERVERS?.split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  return list === undefined || list.length === 0 ? undefined : list;
}

/**
 * Starts `count` memcached servers on free loopback ports. If one fails to
 * start, the ones already started are stopped before the error is thrown.
 */
export async function startServers(
  count: number,
  onStart?: (server: TestMemcached) => void,
): Promise<MemcachedServers> {
  const started: TestMemcached[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((server) => server.stop()));
  };
  try {
    for (let i = 0; i < count; i++) {
      const server = await startMemcached();
      started.push(server);
      onStart?.(server);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { addresses: started.map((server) => server.address), started, stop };
}
