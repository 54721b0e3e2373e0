import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryPoints, makeProject, run } from './projects.js';

// The packed declarations, compiled as a user's project compiles them: every
// entry point imported, skipLibCheck off, under the oldest TypeScript and
// @types/node we support and the newest the registry has (npm fetches each
// version once per machine and installs it from its cache after that).
//
// TypeScript 5.2 is the floor: the declarations use AsyncDisposable and
// Symbol.asyncDispose, which TypeScript's own lib has from 5.2 (esnext.disposable)
// and which @types/node stopped declaring for itself. @types/node 20.19 matches
// `engines`. TypeScript 6.0 is the newest compiler written in TypeScript, 7.0 the newest of all.
const matrix = [
  { typescript: '5.2.2', typesNode: '20.19.0' },
  { typescript: '6.0.3', typesNode: '26.6.7' },
  { typescript: '7.0.2', typesNode: '26.6.7' },
] as const;

/** `import * as m0 from '@clonepool/core'; …` for every entry point, in the syntax of an ES module or a CommonJS one. */
function consumer(): string {
  const entries = entryPoints();
  return `${entries.map((entry, i) => `import * as m${i} from '${entry}';`).join('\n')}
export const modules = [${entries.map((_, i) => `m${i}`).join(', ')}];
`;
}

function tsconfig(compilerOptions: Record<string, unknown>, files: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      types: ['node'],
      ...compilerOptions,
    },
    files,
  });
}

describe.concurrent.each(matrix)(
  'the declarations under TypeScript $typescript with @types/node $typesNode',
  ({ typescript, typesNode }) => {
    // Installed while the other pairs install too; each test awaits it (a failure fails both tests, not the run).
    const project = makeProject({
      type: 'module',
      fromRegistry: [`typescript@${typescript}`, `@types/node@${typesNode}`],
      files: {
        // main.ts is an ES module (the project's type is module) and main.cts a CommonJS one, which reads the .d.cts files.
        'main.ts': consumer(),
        'main.cts': consumer(),
        'tsconfig.nodenext.json': tsconfig({ module: 'nodenext' }, ['main.ts', 'main.cts']),
        // `module: preserve` is TypeScript 5.4's; before it, bundler resolution pairs with esnext.
        'tsconfig.bundler.json': tsconfig(
          { module: typescript === '5.2.2' ? 'esnext' : 'preserve', moduleResolution: 'bundler' },
          ['main.ts'],
        ),
      },
    });

    it.for(['nodenext', 'bundler'])('compile with module %s and skipLibCheck off', async (mode) => {
      const dir = await project;
      const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
      const out = await run(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], { cwd: dir }).catch(
        (error: Error) => error.message,
      );
      expect(out).toBe('');
    });
  },
);
