#!/usr/bin/env node
// Builds the package in the current directory into dist/, in the one shape
// every clonepool package has (CONTRIBUTING.md, "Package shape"):
//
//   src/<entry>.ts ─tsc─▶ dist/<entry>.js    + .d.ts  (ES modules, for `import`)
//                  └rollup─▶ dist/<entry>.cjs + .d.cts (CommonJS, for `require` and Jest)
//
// tsc writes the ES modules and the declarations as it always did; rollup then
// turns those very modules into CommonJS, file for file (preserveModules), so
// both formats run the same code and only the module wrapper differs. The
// .d.cts declarations are the .d.ts ones with relative imports pointing at
// the .cjs files, so TypeScript reads a `require` as CommonJS.
//
// The entries are the keys of package.json's `exports` (`.` is `index`,
// `./testing` is `testing`); tools/lint-package.mjs checks that each maps to
// these files.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { rollup } from 'rollup';
import { entryNames } from './package-shape.mjs';

const dir = process.cwd();
const dist = join(dir, 'dist');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const entries = entryNames(manifest);

// A file whose source was renamed or deleted must not ship from an earlier build.
rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: dir,
    stdio: 'inherit',
  },
);

const bundle = await rollup({
  input: Object.fromEntries(entries.map((name) => [name, join(dist, `${name}.js`)])),
  // Other packages (`@clonepool/core`, `node:*`, `vitest`) stay imports, resolved by the user's Node.
  external: (id) => !id.startsWith('.') && !id.startsWith('/'),
  plugins: [withTscSourceMaps()],
  // Keep every module: only the format changes.
  treeshake: false,
  // A warning means the CommonJS build may differ from the ES modules: fail instead.
  onwarn(warning) {
    // tsc's helpers for `await using` start `(this && this.__addDisposableResource) ||`: undefined in an
    // ES module, and rollup keeps it undefined in CommonJS, so both formats run the same code.
    if (warning.code === 'THIS_IS_UNDEFINED') return;
    throw new Error(`rollup: ${warning.message}`);
  },
});
await bundle.write({
  dir: dist,
  format: 'cjs',
  preserveModules: true,
  preserveModulesRoot: dist,
  entryFileNames: '[name].cjs',
  exports: 'named',
  sourcemap: true,
  sourcemapExcludeSources: true,
  generatedCode: 'es2015',
});
await bundle.close();

for (const file of walk(dist).filter((f) => f.endsWith('.d.ts'))) writeCommonJsDeclaration(file);

/** Reads tsc's output with its source map (so the .cjs maps point at src/*.ts, not dist/*.js), and refuses import.meta. */
function withTscSourceMaps() {
  return {
    name: 'tsc-source-maps',
    // rollup would quietly make `import.meta.dirname` undefined in CommonJS.
    resolveImportMeta(property, { moduleId }) {
      throw new Error(
        `${moduleId}: import.meta${property ? `.${property}` : ''} has no CommonJS counterpart; src/ must not use it.`,
      );
    },
    load(id) {
      const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
      const mapFile = `${id}.map`;
      return { code, map: existsSync(mapFile) ? readFileSync(mapFile, 'utf8') : null };
    },
  };
}

/** Writes `x.d.cts` (and its map) beside `x.d.ts`, its relative imports naming `.cjs` files. */
function writeCommonJsDeclaration(file) {
  const target = file.replace(/\.d\.ts$/, '.d.cts');
  const name = target.slice(dirname(target).length + 1);
  const text = readFileSync(file, 'utf8')
    .replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.js(['"])/g, '$1$2.cjs$3')
    .replace(/\/\/# sourceMappingURL=\S+\.d\.ts\.map/, `//# sourceMappingURL=${name}.map`);
  writeFileSync(target, text);
  const mapFile = `${file}.map`;
  if (existsSync(mapFile)) {
    const map = JSON.parse(readFileSync(mapFile, 'utf8'));
    writeFileSync(`${target}.map`, JSON.stringify({ ...map, file: name }));
  }
}

function walk(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}
