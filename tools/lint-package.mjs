#!/usr/bin/env node
// Packs the package in the current directory the way it would be published
// (`pnpm pack`, so workspace: ranges are rewritten) and checks the tarball with
// publint and @arethetypeswrong/cli. Run by each package's `lint:package` task.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'clonepool-pack-'));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
try {
  run('pnpm', ['pack', '--pack-destination', dir]);
  const tarball = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.tgz')),
  );
  run('publint', ['run', tarball, '--strict']);
  // ESM only by design (engines >= 20.19, where require(esm) works), so the CommonJS-only resolutions are not checked.
  run('attw', [tarball, '--profile', 'esm-only']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
