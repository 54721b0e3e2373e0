import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

// Resolve workspace packages to their src/ (the @clonepool/source condition), as
// `pnpm start` does through tsx, so tests never run a stale dist/ build.
export default defineProject({
  ...sourceConditions,
  test: {
    name: '@clonepool/example-mapped-pool-per-request',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // driver-in-scopes.test.ts collects garbage to prove the pool reclaims its clients.
    execArgv: ['--expose-gc'],
  },
});
