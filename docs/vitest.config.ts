import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@clonepool/docs',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
  },
});
