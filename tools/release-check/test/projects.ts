// Blank user projects made from the packed tarballs: npm installs every
// package from its tarball, with the registry packages they need (keyv for
// @clonepool/keyv, @opentelemetry/api for @clonepool/opentelemetry) packed from this workspace's install; the TypeScript and
// @types/node versions of the types matrix come from npm's cache; Jest and
// ts-jest are linked in from this workspace's locked install. (TypeScript and
// @types/node aliases in the workspace would become the peers of other
// packages' vite and typedoc, so they stay out of it.)
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';

export const root = join(import.meta.dirname, '..', '..', '..');

/** Every published package, by name, and its folder under packages/ (a new package is picked up by itself). */
export const folders: Readonly<Record<string, string>> = Object.fromEntries(
  readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'packages', entry.name, 'package.json')))
    .map((entry) => [manifest(entry.name), entry.name] as const)
    .filter(([pkg]) => pkg.private !== true)
    .map(([pkg, folder]) => [pkg.name, folder]),
);
export type PackageName = string;
export const packageNames: readonly PackageName[] = Object.keys(folders).sort();

interface Manifest {
  name: string;
  private?: boolean;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** The package.json of a folder under packages/. */
function manifest(folder: string): Manifest {
  return readManifest(join(root, 'packages', folder));
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/** The packages of this workspace that `name` depends on, and theirs: what the registry would serve with it. */
export function workspaceNeeds(name: PackageName): PackageName[] {
  const needs = new Set<PackageName>();
  const visit = (from: PackageName): void => {
    for (const dep of Object.keys(manifest(folders[from] ?? '').dependencies ?? {})) {
      if (dep in folders && !needs.has(dep)) {
        needs.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  return [...needs].sort();
}

/**
 * The registry packages `name` itself needs (keyv, the peer of @clonepool/keyv,
 * and keyv's own dependencies; @opentelemetry/api, the peer of @clonepool/opentelemetry), as their folders in this workspace's install:
 * the global setup packs them, so that projects install offline all the same.
 */
export function registryFolders(name: PackageName): string[] {
  const found = new Set<string>();
  const visit = (from: string, pkg: Manifest): void => {
    const optional = (dep: string): boolean => pkg.peerDependenciesMeta?.[dep]?.optional === true;
    const deps = [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}).filter((d) => !optional(d)),
    ];
    for (const dep of deps) {
      if (dep in folders) continue;
      const folder = installedFolder(dep, from);
      if (found.has(folder)) continue;
      found.add(folder);
      visit(folder, readManifest(folder));
    }
  };
  const folder = join(root, 'packages', folders[name] ?? '');
  visit(folder, readManifest(folder));
  return [...found].sort();
}

/** Where Node would find package `name` from `from` (pnpm's store keeps a package's dependencies beside it). */
function installedFolder(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(candidate)) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`${name} is not installed where ${from} can find it: run pnpm install`);
  }
}

/** The tarballs npm installs for `names`: theirs, and those of the registry packages they need. */
export function tarballsOf(names: readonly PackageName[]): string[] {
  const registry = inject('registryTarballs');
  return [...new Set([...names.map(tarball), ...names.flatMap((name) => registry[name] ?? [])])];
}

/** The Node majors the packages support (`engines` is >=20.19): the floor and the current LTS lines. */
export const supportedNodes = ['20', '22', '24'];

/** Every entry point users can import, such as `@clonepool/core/testing`, from each package.json's `exports`. */
export function entryPoints(): string[] {
  return packageNames.flatMap((name) => {
    return Object.keys(manifest(folders[name] ?? '').exports)
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? name : `${name}/${key.slice(2)}`));
  });
}

/**
 * A new folder with `package.json` (`type` as given) and `files`, every
 * package installed from its tarball, `fromRegistry` (exact versions such
 * as `typescript@5.2.2`) installed beside them by npm from its cache (fetched
 * once, on the first run on a machine), and `tools` linked from this
 * workspace's install (`{ jest: 'jest' }` puts the workspace's jest at `node_modules/jest`).
 */
export async function makeProject(options: {
  type: 'module' | 'commonjs';
  fromRegistry?: readonly string[];
  tools?: Record<string, string>;
  files?: Record<string, string>;
}): Promise<string> {
  const dir = mkdtempSync(join(inject('work'), `${options.type}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: options.type }));
  const fromRegistry = options.fromRegistry ?? [];
  await run(
    'npm',
    [
      'install',
      // Offline in effect: what our tarballs need from the registry comes packed from this workspace's install,
      // and the types matrix's compilers are in npm's cache after one run.
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballsOf(packageNames),
      ...fromRegistry,
    ],
    { cwd: dir },
  );
  // After npm, which would prune packages its package.json does not name.
  for (const [as, name] of Object.entries(options.tools ?? {})) {
    const link = join(dir, 'node_modules', as);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(workspacePackage(name), link, 'dir');
  }
  for (const [file, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** The real folder of a package this workspace installed for release-check. */
export function workspacePackage(name: string): string {
  return dirname(realpathSync(createRequire(import.meta.url).resolve(`${name}/package.json`)));
}

/** The packed tarball of a package, from the global setup. */
export function tarball(name: PackageName): string {
  const path = inject('tarballs')[name];
  if (path === undefined) throw new Error(`${name} was not packed: is it a published package under packages/?`);
  return path;
}

/**
 * What pnpm, npm scripts and vitest set for their own children, which a user's
 * shell has not: pnpm's NODE_PATH would let a project find a vitest it never
 * installed. The user's own npm configuration (npm_config_registry, …) stays.
 */
const runnerEnv =
  /^(NODE_PATH|NODE_OPTIONS|VITEST.*|PNPM_.*|pnpm_config_.*|npm_command|npm_execpath|npm_node_execpath|npm_lifecycle_.*|npm_package_.*|npm_config_user_agent|npm_config_verify_deps_before_run)$/i;

function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !runnerEnv.test(name)));
  return { ...env, ...extra };
}

/** Runs a command as a user would, and resolves its stdout; a failure rejects with everything it printed. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: userEnv(options.env), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(`${command} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${stdout}\n${stderr}`),
          );
        else resolve(stdout);
      },
    );
  });
}
