#!/usr/bin/env node
// Checks the package in the current directory the way it would be published:
// its package.json has the shape every clonepool package shares
// (tools/package-shape.mjs), and its tarball (`pnpm pack`, so workspace:
// ranges are rewritten and prepack builds first) ships dist/ and passes
// publint and @arethetypeswrong/cli. Run by each package's `lint:package` task.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { expectedFields, expectedScripts } from './package-shape.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const wrong = Object.entries({ ...expectedFields(pkg), scripts: expectedScripts }).filter(([field, want]) => {
  const have = field === 'scripts' ? pick(pkg.scripts ?? {}, Object.keys(want)) : pkg[field];
  return !isDeepStrictEqual(have, want);
});
if (wrong.length > 0) {
  for (const [field, want] of wrong) {
    console.error(`${pkg.name}: package.json "${field}" must be ${JSON.stringify(want, null, 2)}`);
  }
  console.error('Every package shares one shape: see "Package shape" in CONTRIBUTING.md.');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'clonepool-pack-'));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
try {
  run('pnpm', ['pack', '--pack-destination', dir]);
  const tarball = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.tgz')),
  );
  run('publint', ['run', tarball, '--strict']);
  // The default profile: every entry resolves, with matching types, for `import` and `require`
  // under node16/nodenext, for bundlers, and for node10 (TypeScript's `module: commonjs`).
  run('attw', [tarball]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function pick(object, keys) {
  return Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]]));
}
