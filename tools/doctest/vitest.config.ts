import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@clonepool/doctest',
    include: ['test/**/*.test.ts'],
  },
});
