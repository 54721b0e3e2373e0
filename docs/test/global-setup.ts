import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMemcached } from '@clonepool/memcached/testing';
import type { TestProject } from 'vitest/node';

const docs = join(import.meta.dirname, '..');

/**
 * Doctests run as a user runs them, importing each package as published (its
 * build, resolved by plain `node`): without a build every fence would fail on
 * a missing module, so say what to run instead. (turbo's `test` task for the
 * docs builds the packages first.)
 */
function checkBuilds(): void {
  const { dependencies = {} } = JSON.parse(readFileSync(join(docs, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const names = Object.keys(dependencies).filter((name) => name.startsWith('@clonepool/'));
  // One plain node process resolves every entry, with the conditions a user's node has.
  const script = `for (const n of ${JSON.stringify(names)}) console.log(import.meta.resolve(n))`;
  const entries = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: docs,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  })
    .trim()
    .split('\n');
  const missing = names.filter((_, i) => !existsSync(fileURLToPath(entries[i] ?? '')));
  if (missing.length > 0) {
    throw new Error(
      `The doctests import the packages' builds, and these are not built: ${missing.join(', ')}. ` +
        'Run `pnpm exec turbo run build` first.',
    );
  }
}

/**
 * Starts the servers doctests talk to — one memcached for most pages, three for
 * the pages about many servers — and passes their addresses to every snippet.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  checkBuilds();
  const servers = await Promise.all(Array.from({ length: 4 }, () => startMemcached()));
  const [one, ...three] = servers.map((s) => s.address);
  project.provide('doctestEnv', {
    MEMCACHED_SERVER: one ?? '',
    MEMCACHED_SERVERS: three.join(','),
  });
  return async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
}
