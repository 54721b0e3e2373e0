import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { type PackageName, tarballsOf, workspaceNeeds } from './projects.js';

/**
 * A fresh npm project with `pick` installed from its tarball: what it needs of
 * ours from theirs, and of the registry's (keyv, @opentelemetry/api) from the global setup's, as
 * the registry would serve them.
 */
function install(pick: PackageName): { dir: string; installed: string[] } {
  const dir = mkdtempSync(join(inject('work'), 'project-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballsOf([pick, ...workspaceNeeds(pick)]),
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

  it('@clonepool/opentelemetry pulls in the driver, core and its OpenTelemetry API peer, and traces through the API alone', () => {
    const { dir, installed } = install('@clonepool/opentelemetry');
    expect(installed).toEqual([
      '@clonepool/core',
      '@clonepool/memcached',
      '@clonepool/opentelemetry',
      '@opentelemetry/api',
    ]);
    const out = run(
      dir,
      `import { tracingChannel } from 'node:diagnostics_channel';
import { Client } from '@clonepool/memcached';
import { ClonepoolInstrumentation } from '@clonepool/opentelemetry';
import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
// No SDK installed: a tracer provider of the API's interfaces, which names the spans it is asked for.
const started = [];
const provider = {
  getTracer: () => ({
    startSpan: (name, options) => {
      started.push(name + ' ' + options.attributes['db.system.name']);
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    },
  }),
};
const instrumentation = new ClonepoolInstrumentation();
instrumentation.setTracerProvider(provider);
const commands = tracingChannel('clonepool:memcached:command');
const client = new Client('127.0.0.1:1');
const error = await client.get('bad key').catch((e) => e);
const subscribed = commands.hasSubscribers;
instrumentation.disable();
await client.close();
console.log(started.join(','), error.code, subscribed, commands.hasSubscribers);`,
    );
    expect(out).toBe('get memcached ERR_INVALID_KEY true false');
  });

  it('@clonepool/core installs with no dependencies at all', () => {
    const { dir, installed } = install('@clonepool/core');
    expect(installed).toEqual(['@clonepool/core']);
    expect(
      run(dir, `import { PoolClosedError } from '@clonepool/core';\nconsole.log(new PoolClosedError().code);`),
    ).toBe('ERR_POOL_CLOSED');
  });
});
