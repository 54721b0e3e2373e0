import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const folders = {
  '@clonepool/core': 'core',
  '@clonepool/fifo-pool': 'fifo-pool',
  '@clonepool/mapped-pool': 'mapped-pool',
  '@clonepool/memcached': 'memcached-driver',
  '@clonepool/keyv': 'keyv',
} as const;
type Name = keyof typeof folders;

/** What each package needs from this workspace besides itself, as the registry would serve it. */
const needs: Record<Name, readonly Name[]> = {
  '@clonepool/core': [],
  '@clonepool/fifo-pool': ['@clonepool/core'],
  '@clonepool/mapped-pool': ['@clonepool/core'],
  '@clonepool/memcached': ['@clonepool/core'],
  '@clonepool/keyv': ['@clonepool/memcached', '@clonepool/core'],
};
/** Third-party packages a package takes as peers, packed from the workspace's own install (the tests run offline). */
const keyvPeer = realpathSync(join(root, 'packages', 'keyv', 'node_modules', 'keyv'));
const peers: Partial<Record<Name, readonly string[]>> = {
  // keyv and its one dependency, from pnpm's store layout: …/keyv@x/node_modules/{keyv,@keyv/serialize}.
  '@clonepool/keyv': [keyvPeer, join(keyvPeer, '..', '@keyv', 'serialize')],
};
const peerTarballs = new Map<string, string>();

const work = mkdtempSync(join(tmpdir(), 'clonepool-install-'));
const tarballs = new Map<Name, string>();

beforeAll(() => {
  // pnpm pack rewrites workspace: ranges into real versions, as publishing does.
  for (const [name, folder] of Object.entries(folders) as [Name, string][]) {
    const dest = join(work, 'tarballs', folder);
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: join(root, 'packages', folder), stdio: 'pipe' });
    const file = readdirSync(dest).find((f) => f.endsWith('.tgz'));
    if (file === undefined) throw new Error(`pnpm pack made no tarball for ${name}`);
    tarballs.set(name, join(dest, file));
  }
  for (const folder of Object.values(peers).flat()) {
    const dest = mkdtempSync(join(work, 'peer-'));
    execFileSync('npm', ['pack', folder, '--pack-destination', dest, '--loglevel=error'], { stdio: 'pipe' });
    peerTarballs.set(folder, join(dest, readdirSync(dest).find((f) => f.endsWith('.tgz')) ?? ''));
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fresh npm project with `pick` installed from its tarball (what it needs from theirs, as the registry would serve them). */
function install(pick: Name): { dir: string; installed: string[] } {
  const dir = mkdtempSync(join(work, 'project-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const wanted = [pick, ...needs[pick]];
  execFileSync(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...wanted.map((n) => tarballs.get(n) ?? ''),
      ...(peers[pick] ?? []).map((folder) => peerTarballs.get(folder) ?? ''),
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  // npm's record of what it put in node_modules; `npm ls` would also list optional peers it did not install.
  const lock = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  const installed = Object.keys(lock.packages).map((path) => path.replace(/^.*node_modules\//, ''));
  return { dir, installed: installed.sort() };
}

function run(dir: string, code: string): string {
  writeFileSync(join(dir, 'main.mjs'), code);
  return execFileSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8' }).trim();
}

describe('each package installed alone from its tarball', () => {
  it('@clonepool/fifo-pool pulls in core and nothing else, and lends a client', () => {
    const { dir, installed } = install('@clonepool/fifo-pool');
    expect(installed).toEqual(['@clonepool/core', '@clonepool/fifo-pool']);
    const out = run(
      dir,
      `import { ClientPool } from '@clonepool/fifo-pool';
let n = 0;
const pool = new ClientPool({ clone: () => ({ id: ++n }) }, 2);
const id = await pool.use((client) => client.id);
await pool.close();
console.log(id);`,
    );
    expect(out).toBe('1');
  });

  it('@clonepool/mapped-pool pulls in core and nothing else, and maps a client per context', () => {
    const { dir, installed } = install('@clonepool/mapped-pool');
    expect(installed).toEqual(['@clonepool/core', '@clonepool/mapped-pool']);
    const out = run(
      dir,
      `import { MappedPool } from '@clonepool/mapped-pool';
let n = 0;
const pool = new MappedPool({ clone: () => ({ id: ++n }) });
const ids = await Promise.all([1, 2].map(() => pool.run(() => pool.use((c) => c.id))));
await pool.close();
console.log(ids.sort().join(','));`,
    );
    expect(out).toBe('1,2');
  });

  it('@clonepool/memcached pulls in core and nothing else, and validates a key before any I/O', () => {
    const { dir, installed } = install('@clonepool/memcached');
    expect(installed).toEqual(['@clonepool/core', '@clonepool/memcached']);
    const out = run(
      dir,
      `import { Client } from '@clonepool/memcached';
const client = new Client('127.0.0.1:1');
const error = await client.get('bad key').catch((e) => e);
await client.close();
console.log(error.code);`,
    );
    expect(out).toBe('ERR_INVALID_KEY');
  });

  it('@clonepool/keyv pulls in the driver, core and its Keyv peer, and refuses a bad key through Keyv', () => {
    const { dir, installed } = install('@clonepool/keyv');
    expect(installed).toEqual([
      '@clonepool/core',
      '@clonepool/keyv',
      '@clonepool/memcached',
      '@keyv/serialize',
      'keyv',
    ]);
    const out = run(
      dir,
      `import { KeyvMemcached } from '@clonepool/keyv';
import Keyv from 'keyv';
const keyv = new Keyv({ store: new KeyvMemcached('127.0.0.1:1') });
let code;
keyv.on('error', (error) => { code = error.code; });
const stored = await keyv.set('\\ud800', 1);
await keyv.disconnect();
console.log(stored, code);`,
    );
    expect(out).toBe('false ERR_INVALID_KEY');
  });

  it('@clonepool/core installs with no dependencies at all', () => {
    const { dir, installed } = install('@clonepool/core');
    expect(installed).toEqual(['@clonepool/core']);
    expect(
      run(dir, `import { PoolClosedError } from '@clonepool/core';\nconsole.log(new PoolClosedError().code);`),
    ).toBe('ERR_POOL_CLOSED');
  });
});
