import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@clonepool/core',
    include: ['test/**/*.test.ts'],
    // wait-queue.test.ts checks with global.gc() that the queue lets go of what its waiters held.
    execArgv: ['--expose-gc'],
  },
});
