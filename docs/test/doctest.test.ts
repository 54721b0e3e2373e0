import { join } from 'node:path';
import { collectSnippets, defineDoctests } from '@clonepool/doctest';
import { inject } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

defineDoctests({
  snippets: collectSnippets(root),
  workDir: join(import.meta.dirname, '..', '.doctest'),
  tsconfig: join(import.meta.dirname, '..', 'tsconfig.json'),
  env: () => inject('doctestEnv'),
});

declare module 'vitest' {
  export interface ProvidedContext {
    doctestEnv: Record<string, string>;
  }
}
