import type { TestProject } from 'vitest/node';
import { startMemcached } from '../src/testing.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The address of the memcached shared by the test files that need no server of their own. */
    memcachedServer: string;
  }
}

/** Starts one real memcached for the run (never 11211) and stops it at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startMemcached();
  project.provide('memcachedServer', server.address);
  return () => server.stop();
}
