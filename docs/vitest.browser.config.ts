import { defineConfig } from 'vitest/config';

// The built site in headless Chromium; run after `docs:build` (turbo's test:browser task).
export default defineConfig({
  test: {
    name: '@clonepool/docs-browser',
    include: ['browser/**/*.test.ts'],
    fileParallelism: false,
  },
});
