import { beforeAll, describe, expect, it } from 'vitest';
import type { Snippet } from './extract.ts';
import { compareOutput, nodeFor, type PreparedSnippet, prepare, type RunResult, runSnippet, typecheck } from './run.ts';

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

/** A snippet's test title: its line, and what is special about how it is checked. */
function testName(s: Snippet): string {
  if (s.skip !== undefined) return `line ${s.line} (not run: ${s.skip})`;
  const on = s.node === undefined ? '' : `, on Node ${s.node}`;
  if (s.noRun !== undefined) return `line ${s.line} (type-checked${on}, not run: ${s.noRun})`;
  return on === '' ? `line ${s.line}` : `line ${s.line} (on Node ${s.node})`;
}

/** What to do about a snippet that failed on syntax its Node lacks. */
function hint(s: Snippet, result: RunResult): string {
  if (!/SyntaxError/.test(result.stderr) || !/\busing\s/.test(s.code)) return '';
  return `\n(Node ${process.versions.node} cannot parse \`using\` declarations: lead with use() or try/finally, and show \`await using\` in a fence marked \`ts node>=24\`.)`;
}

/**
 * Registers one vitest test per snippet, grouped by file: each must
 * type-check, exit 0 on its own, and print exactly its `// →` lines. A
 * `doctest:no-run` snippet is only type-checked; a `doctest:skip` one is
 * neither.
 */
export function defineDoctests(options: DoctestOptions): void {
  const { snippets, workDir, tsconfig, env = () => ({}), timeoutMs = 20_000 } = options;
  const prepared = prepare(snippets, workDir);
  let diagnostics = new Map<string, string[]>();
  beforeAll(async () => {
    diagnostics = typecheck(
      prepared.filter((s) => s.skip === undefined),
      tsconfig,
    );
    // Fetch any newer Node the snippets ask for now, so no snippet's time limit pays for a download.
    const runs = prepared.filter((s) => s.skip === undefined && s.noRun === undefined);
    await Promise.all([...new Set(runs.map((s) => s.node))].map((node) => nodeFor({ node })));
  }, 180_000);

  const byFile = new Map<string, PreparedSnippet[]>();
  for (const s of prepared) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  for (const [file, group] of byFile) {
    describe(file, () => {
      for (const s of group) {
        it.skipIf(s.skip !== undefined)(
          testName(s),
          async () => {
            const errors = diagnostics.get(s.path) ?? [];
            expect(errors, `${s.file}:${s.line} does not type-check:\n${errors.join('\n')}`).toEqual([]);
            if (s.noRun !== undefined) return;
            const result = await runSnippet(s, { env: env(), timeoutMs });
            const where = `${s.file}:${s.line} (generated ${s.program})`;
            expect(result.timedOut, `${where} did not exit within ${timeoutMs} ms: something was left open`).toBe(
              false,
            );
            expect(
              result.exitCode,
              `${where} exited with ${result.exitCode}:\n${result.stderr}${hint(s, result)}`,
            ).toBe(0);
            const difference = compareOutput(s, result.stdout);
            expect(difference, `${where} ${difference}`).toBeUndefined();
          },
          timeoutMs + 10_000,
        );
      }
    });
  }
}
