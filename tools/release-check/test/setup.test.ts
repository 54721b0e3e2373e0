import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { root } from './projects.js';

const pinned = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string }
).packageManager.replace(/^pnpm@/, '');

/**
 * Runs tools/setup.sh in a copy of the repository's top level, on a PATH of
 * stand-ins: `apt-get`, `npm` and `pnpm` record their arguments in a log and
 * change nothing, `id` says root, and `pnpm --version` prints `pnpmVersion`
 * (none: no pnpm at all). memcached and redis-server are missing.
 */
function setup(purpose: 'demo' | 'test', pnpmVersion: string | undefined): { log: string[]; dir: string } {
  const dir = mkdtempSync(join(inject('work'), 'setup-'));
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'tools', 'setup.sh'), join(dir, 'tools', 'setup.sh'));
  const bin = join(dir, 'stand-ins');
  mkdirSync(bin);
  const log = join(dir, 'log');
  const standIn = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const record = (name: string) => `echo "${name} $*" >> ${log}`;
  standIn('apt-get', record('apt-get'));
  standIn('id', 'echo 0');
  const pnpm = (version: string) => `if [ "$1" = --version ]; then echo ${version}; else ${record('pnpm')}; fi`;
  if (pnpmVersion !== undefined) standIn('pnpm', pnpm(pnpmVersion));
  // npm "installs" the private copy as a pnpm stand-in of the pinned version.
  standIn(
    'npm',
    `${record('npm')}\nmkdir -p .tools/node_modules/.bin\nprintf '#!/bin/bash\\n%s\\n' '${pnpm(pinned)}' > .tools/node_modules/.bin/pnpm\nchmod +x .tools/node_modules/.bin/pnpm`,
  );
  for (const tool of ['node', 'env', 'dirname', 'mkdir', 'ln', 'chmod', 'printf']) {
    const real = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    if (real && !existsSync(join(bin, tool))) symlinkSync(real, join(bin, tool));
  }
  execFileSync('/bin/bash', [join(dir, 'tools', 'setup.sh'), purpose], {
    cwd: dir,
    env: { PATH: bin, HOME: dir },
    stdio: 'pipe',
  });
  return { log: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [], dir };
}

/** The packages apt-get was asked to install. */
function aptInstalls(log: string[]): string[] {
  return log
    .filter((line) => line.startsWith('apt-get install'))
    .flatMap((line) => line.split(' ').slice(2))
    .filter((word) => !word.startsWith('-'));
}

describe("the README's set-up", () => {
  it('for the demo installs memcached and the demo packages only, with your pnpm when it is the pinned one', () => {
    const { log } = setup('demo', pinned);
    expect(aptInstalls(log)).toEqual(['memcached']);
    expect(log.filter((line) => line.startsWith('npm'))).toEqual([]);
    expect(log.filter((line) => line.startsWith('pnpm'))).toEqual([
      'pnpm install --frozen-lockfile --reporter=silent --filter @clonepool/example-http-cache-server...',
    ]);
  });

  it('for the tests adds their system packages and keeps a pnpm of another version, using a private copy', () => {
    const { log, dir } = setup('test', '9.1.0');
    const installs = aptInstalls(log);
    expect(installs).toContain('memcached');
    expect(installs).toContain('redis-server');
    // pylibmc and chromium are looked for at fixed paths: asked for only when this machine lacks them.
    expect(
      installs.filter((name) => !['memcached', 'redis-server', 'python3-pylibmc', 'chromium'].includes(name)),
    ).toEqual([]);
    const npm = log.filter((line) => line.startsWith('npm'));
    expect(npm).toEqual([`npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error pnpm@${pinned}`]);
    expect(npm.join(' ')).not.toMatch(/ (-g|--global)\b/);
    expect(log.filter((line) => line.startsWith('pnpm'))).toEqual(['pnpm install --frozen-lockfile --reporter=silent']);
    expect(existsSync(join(dir, '.tools', 'bin', 'pnpm'))).toBe(true);
  });

  it('with no pnpm at all installs the private copy too, and nothing with apt-get it need not', () => {
    const { log } = setup('demo', undefined);
    expect(aptInstalls(log)).toEqual(['memcached']);
    expect(log.filter((line) => line.startsWith('npm'))).toHaveLength(1);
    expect(log.filter((line) => line.startsWith('pnpm'))).toHaveLength(1);
  });
});
