import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@clonepool/example-core-tour', include: ['test/**/*.test.ts'] },
});
