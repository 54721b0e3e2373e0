import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

// Without the bundlers' `module` condition: OpenTelemetry's packages map it to ES modules
// with extensionless imports, which Node (running them outside Vite) cannot load.
const conditions = sourceConditions.resolve.conditions.filter((condition) => condition !== 'module');

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: '@clonepool/opentelemetry',
    include: ['test/**/*.test.ts'],
    // pool-metrics.test.ts forces collections with global.gc(): pools are held weakly.
    execArgv: ['--expose-gc'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
