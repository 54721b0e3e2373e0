import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@clonepool/release-check',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
