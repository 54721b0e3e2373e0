// The one build and exports shape of every published clonepool package,
// written down in CONTRIBUTING.md ("Package shape"). tools/build-package.mjs
// builds it and tools/lint-package.mjs checks each package.json against it,
// so a new package copies a small package.json and tsconfig and gets the rest.

/** The entries of a package: `index` for `.`, `testing` for `./testing`, from package.json's `exports`. */
export function entryNames(pkg) {
  return Object.keys(pkg.exports ?? {})
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? 'index' : key.slice(2)));
}

/**
 * The fields of package.json that follow from its entries. Each entry is its
 * TypeScript source under the workspace's `@clonepool/source` condition, an ES
 * module with `.d.ts` for `import`, and CommonJS with `.d.cts` for `require`
 * (Jest, whose module system cannot `require` an ES module). `main` and `types` serve resolvers that
 * predate `exports`, and `typesVersions` gives them the subpaths' types
 * (TypeScript's `moduleResolution: node10`, still the default of `module: commonjs`).
 */
export function expectedFields(pkg) {
  const names = entryNames(pkg);
  const exports = {};
  for (const name of names) {
    exports[name === 'index' ? '.' : `./${name}`] = {
      '@clonepool/source': `./src/${name}.ts`,
      import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
      require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
    };
  }
  exports['./package.json'] = './package.json';
  const subpaths = names.filter((name) => name !== 'index');
  return {
    type: 'module',
    exports,
    main: './dist/index.cjs',
    types: './dist/index.d.cts',
    ...(subpaths.length > 0 && {
      typesVersions: { '*': Object.fromEntries(subpaths.map((name) => [name, [`./dist/${name}.d.cts`]])) },
    }),
    files: ['dist', 'src', '!**/*.tsbuildinfo'],
    engines: { node: '>=20.19' },
  };
}

/** The scripts every package runs the same way. */
export const expectedScripts = {
  build: 'node ../../tools/build-package.mjs',
  // `pnpm pack` and `pnpm publish` build first (with the packages this one needs), so no tarball ships without dist/.
  prepack: 'turbo run build --output-logs=errors-only',
  'lint:package': 'node ../../tools/lint-package.mjs',
};
