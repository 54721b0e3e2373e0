import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@clonepool/bench', include: ['test/**/*.test.mjs'] },
});
