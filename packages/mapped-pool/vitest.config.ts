import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@clonepool/mapped-pool',
    include: ['test/**/*.test.ts'],
    // reclamation.test.ts forces collections with global.gc().
    execArgv: ['--expose-gc'],
  },
});
