import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { makeProject, run, supportedNodes, workspacePackage } from './projects.js';

// fixtures/jest: a TypeScript test run by Jest 30 and ts-jest, in a blank CommonJS
// project with every package installed from its tarball.
let dir: string;
beforeAll(async () => {
  dir = await makeProject({
    type: 'commonjs',
    tools: {
      jest: 'jest',
      'ts-jest': 'ts-jest',
      '@jest/globals': '@jest/globals',
      typescript: 'typescript',
      '@types/node': '@types/node',
    },
  });
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'jest'), dir, { recursive: true });
});

describe('a Jest project', () => {
  // One Node at a time: Jest and ts-jest take a core each, and the runs share Jest's transform cache.
  it.each(supportedNodes)('runs a test of a pool of memcached clients on Node %s', async (major) => {
    const report = join(dir, `jest-node${major}.json`);
    await run(
      inject('nodes')[major] ?? '',
      [
        join(workspacePackage('jest'), 'bin', 'jest.js'),
        '--ci',
        '--runInBand',
        `--cacheDirectory=${join(dir, '.jest-cache')}`,
        '--json',
        `--outputFile=${report}`,
      ],
      { cwd: dir },
    );
    const result = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number };
    expect([result.numPassedTests, result.numFailedTests]).toEqual([3, 0]);
  });
});
