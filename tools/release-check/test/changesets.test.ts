import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const changeset = join(root, 'node_modules', '.bin', 'changeset');
const packages = {
  core: 'core',
  'fifo-pool': 'fifo-pool',
  'mapped-pool': 'mapped-pool',
  memcached: 'memcached-driver',
  keyv: 'keyv',
  opentelemetry: 'opentelemetry',
};

let copy: string | undefined;
afterEach(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
  copy = undefined;
});

/** A throwaway copy of the workspace's manifests with only the given changesets. */
function throwaway(changesets: Record<string, string>): string {
  copy = mkdtempSync(join(tmpdir(), 'clonepool-changesets-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, file), join(copy, file));
  cpSync(join(root, '.changeset', 'config.json'), join(copy, '.changeset', 'config.json'));
  const folders = [
    'docs',
    'bench',
    ...['packages', 'tools', 'examples'].flatMap((group) =>
      readdirSync(join(root, group)).map((name) => join(group, name)),
    ),
  ];
  for (const folder of folders) {
    const manifest = join(root, folder, 'package.json');
    if (existsSync(manifest)) cpSync(manifest, join(copy, folder, 'package.json'));
  }
  for (const [name, body] of Object.entries(changesets)) writeFileSync(join(copy, '.changeset', `${name}.md`), body);
  execFileSync('git', ['init', '-q'], { cwd: copy });
  return copy;
}

function versions(dir: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(packages).map(([short, folder]) => [
      short,
      JSON.parse(readFileSync(join(dir, 'packages', folder, 'package.json'), 'utf8')).version as string,
    ]),
  );
}

describe('changeset version', () => {
  it('bumps only the package that changed', () => {
    const dir = throwaway({ 'fix-fifo': '---\n"@clonepool/fifo-pool": patch\n---\n\nFix a thing.\n' });
    const before = versions(dir);
    execFileSync(changeset, ['version'], { cwd: dir, stdio: 'pipe' });
    const after = versions(dir);
    expect(after['fifo-pool']).not.toBe(before['fifo-pool']);
    expect({ ...after, 'fifo-pool': before['fifo-pool'] }).toEqual(before);
    expect(readFileSync(join(dir, 'packages', 'fifo-pool', 'CHANGELOG.md'), 'utf8')).toContain('Fix a thing.');
  });

  it('bumps the dependents of a changed core, each on its own version, through the driver to the integration packages', () => {
    const dir = throwaway({ 'core-feature': '---\n"@clonepool/core": minor\n---\n\nA feature.\n' });
    const before = versions(dir);
    execFileSync(changeset, ['version'], { cwd: dir, stdio: 'pipe' });
    const after = versions(dir);
    for (const name of Object.keys(packages)) expect(after[name], name).not.toBe(before[name]);
  });
});
