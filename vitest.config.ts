import { defineConfig } from 'vitest/config';

// One root config that knows every project; each package also runs alone with
// `pnpm --filter <name> test` (turbo's `test` task) through its own config.
export default defineConfig({
  test: {
    projects: ['packages/*', 'tools/*', 'docs', 'examples/*', 'bench'],
  },
});
