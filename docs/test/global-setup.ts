import { startMemcached } from '@clonepool/memcached/testing';
import type { TestProject } from 'vitest/node';

/**
 * Starts the servers doctests talk to — one memcached for most pages, three for
 * the pages about many servers — and passes their addresses to every snippet.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await Promise.all(Array.from({ length: 4 }, () => startMemcached()));
  const [one, ...three] = servers.map((s) => s.address);
  project.provide('doctestEnv', {
    MEMCACHED_SERVER: one ?? '',
    MEMCACHED_SERVERS: three.join(','),
  });
  return async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
}
