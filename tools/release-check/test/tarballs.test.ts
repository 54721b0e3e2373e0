import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { packageNames, root, tarball } from './projects.js';

/** Every file path a package.json names: exports' targets, main, types, typesVersions. */
function namedFiles(manifest: Record<string, unknown>): string[] {
  const paths = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') paths.add(value.replace(/^\.\//, ''));
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
  };
  for (const field of ['exports', 'main', 'types', 'typesVersions']) collect(manifest[field]);
  return [...paths].sort();
}

function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));
}

describe('the packed tarballs', () => {
  it('come from every published package, each a dependency of release-check so turbo builds it first', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(packageNames).toContain('@clonepool/core');
    expect(packageNames.filter((name) => !(name in manifest.devDependencies))).toEqual([]);
  });

  it.each(packageNames)('%s holds every file its package.json names, in both module formats', (name) => {
    const packed = tarball(name);
    const manifest = JSON.parse(execFileSync('tar', ['xzfO', packed, 'package/package.json'], { encoding: 'utf8' }));
    const files = new Set(tarballFiles(packed));
    const named = namedFiles(manifest);
    expect(named).toContain('dist/index.cjs');
    expect(named).toContain('dist/index.d.cts');
    expect(named.filter((path) => !files.has(path))).toEqual([]);
  });

  it('packing a package whose dist/ was never built builds it, and the packages it needs, first', () => {
    // A fresh clone in miniature: the workspace's config and the two packages' sources, no dist/ anywhere.
    const copy = mkdtempSync(join(inject('work'), 'fresh-clone-'));
    for (const file of readdirSync(root).filter((f) =>
      /^(package\.json|pnpm-.*\.yaml|turbo\.json|tsconfig.*\.json)$/.test(f),
    )) {
      cpSync(join(root, file), join(copy, file));
    }
    for (const file of ['build-package.mjs', 'package-shape.mjs'])
      cpSync(join(root, 'tools', file), join(copy, 'tools', file));
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    for (const folder of ['core', 'fifo-pool']) {
      cpSync(join(root, 'packages', folder), join(copy, 'packages', folder), {
        recursive: true,
        filter: (path) => !/\/(dist|node_modules|test-results|\.turbo)$/.test(path),
      });
    }
    mkdirSync(join(copy, 'packages', 'fifo-pool', 'node_modules', '@clonepool'), { recursive: true });
    symlinkSync(
      join('..', '..', '..', 'core'),
      join(copy, 'packages', 'fifo-pool', 'node_modules', '@clonepool', 'core'),
    );

    const dest = join(copy, 'out');
    execFileSync('pnpm', ['pack', '--pack-destination', dest], {
      cwd: join(copy, 'packages', 'fifo-pool'),
      stdio: 'pipe',
      env: { ...process.env, TURBO_CACHE: 'local:rw', TURBO_CACHE_DIR: join(copy, '.turbo-cache') },
    });
    const files = tarballFiles(join(dest, readdirSync(dest)[0] ?? ''));
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.cjs');
    expect(files).toContain('dist/index.d.cts');
    expect(readdirSync(join(copy, 'packages', 'core', 'dist'))).toContain('index.cjs');
  });
});
