// Packs every published package once per run, the way it would be published
// (`pnpm pack`: workspace: ranges rewritten, prepack builds first), and the
// registry packages they need from this workspace's install (so projects
// install offline), and finds a Node binary for each supported major; the
// test files install and run them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { folders, type PackageName, registryFolders, root, run, supportedNodes } from './projects.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each package's tarball was packed. */
    tarballs: Record<PackageName, string>;
    /** The tarballs of the registry packages each package needs besides ours (keyv for @clonepool/keyv). */
    registryTarballs: Record<PackageName, string[]>;
    /** A Node binary for each supported major, `20` → its path. */
    nodes: Record<string, string>;
    /** A scratch folder for this run, removed after it. */
    work: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const work = mkdtempSync(join(tmpdir(), 'clonepool-release-'));
  const tarballs: Record<PackageName, string> = {};
  for (const [name, folder] of Object.entries(folders)) {
    const dest = join(work, 'tarballs', folder);
    mkdirSync(dest, { recursive: true });
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: join(root, 'packages', folder), stdio: 'pipe' });
    const file = readdirSync(dest).find((f) => f.endsWith('.tgz'));
    if (file === undefined) throw new Error(`pnpm pack made no tarball for ${name}`);
    tarballs[name] = join(dest, file);
  }
  project.provide('tarballs', tarballs);
  const packed = new Map<string, string>();
  const registryTarballs: Record<PackageName, string[]> = {};
  for (const name of Object.keys(folders)) {
    registryTarballs[name] = registryFolders(name).map((folder) => {
      const done = packed.get(folder);
      if (done !== undefined) return done;
      const dest = mkdtempSync(join(work, 'registry-'));
      // A copy first: pnpm's store hard-links identical files (keyv's index.d.ts and index.d.cts), npm pack
      // writes the second as a tar hard link, and npm install drops such entries, types and all.
      const copy = join(dest, 'package');
      cpSync(folder, copy, { recursive: true, filter: (path) => !path.endsWith('/node_modules') });
      // An installed package, packed as it is: its own repository's prepack scripts have nothing to build here.
      execFileSync('npm', ['pack', copy, '--ignore-scripts', '--pack-destination', dest, '--loglevel=error'], {
        stdio: 'pipe',
      });
      const file = readdirSync(dest).find((f) => f.endsWith('.tgz'));
      if (file === undefined) throw new Error(`npm pack made no tarball of ${folder}`);
      packed.set(folder, join(dest, file));
      return join(dest, file);
    });
  }
  project.provide('registryTarballs', registryTarballs);
  const binaries = await Promise.all(supportedNodes.map(nodeBinary));
  project.provide('nodes', Object.fromEntries(supportedNodes.map((major, i) => [major, binaries[i] ?? ''])));
  project.provide('work', work);
  return () => rmSync(work, { recursive: true, force: true });
}

/** This process's Node when it is of that major, else npm's `node` package of it (cached by npx after the first run). */
async function nodeBinary(major: string): Promise<string> {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  // Outside the workspace, where npx has no project of its own to read first.
  return (await run('npx', ['--yes', `node@${major}`, '-p', 'process.execPath'], { cwd: tmpdir() })).trim();
}
