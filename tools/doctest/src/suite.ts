import { beforeAll, describe, expect, it } from 'vitest';
import type { Snippet } from './extract.ts';
import { compareOutput, type PreparedSnippet, prepare, runSnippet, typecheck } from './run.ts';

/** Where and how to run a set of doctests. */
export interface DoctestOptions {
  /** The snippets, from `collectSnippets` or the extract functions. */
  readonly snippets: readonly Snippet[];
  /** Where to write the generated programs: a folder inside a package that depends on what they import. */
  readonly workDir: string;
  /** The tsconfig the snippets are type-checked with. */
  readonly tsconfig: string;
  /** Environment for every snippet (server addresses), read when the test runs. */
  readonly env?: () => NodeJS.ProcessEnv;
  /** How long one snippet may run before it counts as hanging. @default 20000 */
  readonly timeoutMs?: number;
}

/**
 * Registers one vitest test per snippet, grouped by file: each must
 * type-check, exit 0 on its own, and print exactly its `// →` lines.
 */
export function defineDoctests(options: DoctestOptions): void {
  const { snippets, workDir, tsconfig, env = () => ({}), timeoutMs = 20_000 } = options;
  const prepared = prepare(snippets, workDir);
  let diagnostics = new Map<string, string[]>();
  beforeAll(() => {
    diagnostics = typecheck(
      prepared.filter((s) => s.skip === undefined),
      tsconfig,
    );
  }, 120_000);

  const byFile = new Map<string, PreparedSnippet[]>();
  for (const s of prepared) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  for (const [file, group] of byFile) {
    describe(file, () => {
      for (const s of group) {
        const name = s.skip === undefined ? `line ${s.line}` : `line ${s.line} (not run: ${s.skip})`;
        it.skipIf(s.skip !== undefined)(
          name,
          async () => {
            const errors = diagnostics.get(s.path) ?? [];
            expect(errors, `${s.file}:${s.line} does not type-check:\n${errors.join('\n')}`).toEqual([]);
            const result = await runSnippet(s, { env: env(), timeoutMs });
            const where = `${s.file}:${s.line} (generated ${s.path})`;
            expect(result.timedOut, `${where} did not exit within ${timeoutMs} ms: something was left open`).toBe(
              false,
            );
            expect(result.exitCode, `${where} exited with ${result.exitCode}:\n${result.stderr}`).toBe(0);
            const difference = compareOutput(s, result.stdout);
            expect(difference, `${where} ${difference}`).toBeUndefined();
          },
          timeoutMs + 10_000,
        );
      }
    });
  }
}
