import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@clonepool/memcached',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Each file starts its own memcached for what it must not share (SIGSTOP, flush_all, auth, TLS).
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // memory.test.ts collects garbage to measure what a client keeps.
    execArgv: ['--expose-gc'],
  },
});
