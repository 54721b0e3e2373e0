// Workspace packages export their TypeScript sources under the `@clonepool/source`
// condition, so tests, doctests and examples run against `src/` without a build.
const conditions = ['@clonepool/source', 'module', 'node', 'development|production'];

export const sourceConditions = {
  resolve: { conditions },
  ssr: { resolve: { conditions } },
};
