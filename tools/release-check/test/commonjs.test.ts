import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { entryPoints, makeProject, run, supportedNodes } from './projects.js';

// fixtures/commonjs/main.cjs, run from a blank CommonJS project with every package installed from its tarball.
let dir: string;
beforeAll(async () => {
  dir = await makeProject({ type: 'commonjs' });
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'commonjs'), dir, { recursive: true });
  writeFileSync(join(dir, 'entry-points.json'), JSON.stringify(entryPoints()));
});

describe('a CommonJS project', () => {
  it('has no vitest installed (core only names it as an optional peer)', () => {
    expect(existsSync(join(dir, 'node_modules', 'vitest'))).toBe(false);
  });

  it.concurrent.each(supportedNodes)(
    'requires every entry point, pools memcached clients and stores through Keyv on Node %s',
    async (major) => {
      const out = await run(inject('nodes')[major] ?? '', ['main.cjs'], { cwd: dir });
      expect(out.trimEnd().split('\n')).toEqual([
        ...entryPoints().map((entry) =>
          entry === '@clonepool/core/conformance' ? `${entry} MODULE_NOT_FOUND true` : `${entry} true`,
        ),
        'hello from require()',
        // Two copies of core (CommonJS and ES module), and errors cross between them by code.
        'false ERR_POOL_EXHAUSTED',
        'true true false true true',
        'A,B 2',
        '{"name":"Ada"}',
        '1 function',
      ]);
    },
  );
});
