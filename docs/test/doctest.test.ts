import { join } from 'node:path';
import { collectSnippets, defineDoctests } from '@clonepool/doctest';
import { inject } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

defineDoctests({
  snippets: collectSnippets(root),
  workDir: join(import.meta.dirname, '..', '.doctest'),
  // Type-checked as a user's project compiles them: NodeNext, strict, against the packages' published types.
  tsconfig: join(import.meta.dirname, '..', 'tsconfig.doctest.json'),
  env: () => inject('doctestEnv'),
});

declare module 'vitest' {
  export interface ProvidedContext {
    doctestEnv: Record<string, string>;
  }
}
