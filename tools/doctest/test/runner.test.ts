import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compareOutput,
  extractFromMarkdown,
  extractFromTsDoc,
  prepare,
  runSnippet,
  SnippetFormatError,
  stripTypes,
  typecheck,
} from '../src/index.ts';

const require = createRequire(import.meta.url);
const fixtures = join(import.meta.dirname, 'fixtures');
const page = extractFromMarkdown(readFileSync(join(fixtures, 'pages.md'), 'utf8'), 'pages.md');
// Generated files live beside the fixtures' tsconfig so they resolve like the real doctests do.
const workDir = join(import.meta.dirname, '..', '.doctest');

describe('extracting snippets', () => {
  it('takes only ts fences of a Markdown page, with their lines, stated output and options', () => {
    expect(page.map((s) => s.line)).toEqual([6, 13, 20, 27, 33, 43, 60, 69, 78, 85]);
    expect(page[0]?.expected).toEqual(['2']);
    expect(page[4]?.skip).toBe('it would format the disk');
    expect(page.map((s) => s.node)).toEqual([...Array(7).fill(undefined), 24, undefined, undefined]);
    expect(page[8]?.noRun).toBe('it would need a server');
    expect(page[8]?.skip).toBeUndefined();
    expect(page.some((s) => s.code.includes('JavaScript fences'))).toBe(false);
  });

  it('takes only the fences under @example in TSDoc comments', () => {
    const snippets = extractFromTsDoc(readFileSync(join(fixtures, 'source.ts'), 'utf8'), 'source.ts');
    expect(snippets).toHaveLength(1);
    expect(snippets[0]?.code).toBe('console.log(2 * 21);\n// → 42\n');
    expect(snippets[0]?.expected).toEqual(['42']);
  });

  it('refuses an opt-out without a reason, an unknown option and an unclosed fence', () => {
    expect(() => extractFromMarkdown('```ts doctest:skip\nx\n```\n', 'a.md')).toThrow(SnippetFormatError);
    expect(() => extractFromMarkdown('```ts doctest:no-run \nx\n```\n', 'a.md')).toThrow(/needs a reason/);
    expect(() => extractFromMarkdown('```ts node>24\nx\n```\n', 'a.md')).toThrow(/unknown fence option "node>24"/);
    expect(() => extractFromMarkdown('```ts doctest:skipped why\nx\n```\n', 'a.md')).toThrow(/unknown fence option/);
    expect(() => extractFromMarkdown('```ts\nx\n', 'b.md')).toThrow(/unclosed/);
  });
});

describe('running snippets as a user would', () => {
  it('runs them on the oldest Node the packages support', () => {
    const engines = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).engines.node;
    const oldest = /^>=(\d+)\./.exec(engines)?.[1];
    expect(process.versions.node.split('.')[0]).toBe(oldest);
  });

  it('removes types and leaves every other piece of syntax as written', () => {
    const js = stripTypes(
      'import type { X } from "x";\nconst a: number = 1;\n{ await using r = a as unknown as AsyncDisposable; }\n',
      'a.ts',
    );
    expect(js).not.toMatch(/import type|: number|as unknown/);
    expect(js).toMatch(/await using r = a;/);
  });
});

describe('checking snippets', () => {
  const prepared = prepare(page, mkdtempSync(join(tmpdir(), 'doctest-')));
  const inRepo = prepare(page, workDir);

  it('passes a snippet whose output matches its // → lines', async () => {
    const result = await runSnippet(prepared[0]!);
    expect(result.exitCode).toBe(0);
    expect(compareOutput(page[0]!, result.stdout)).toBeUndefined();
  });

  it('fails a snippet whose output differs from its // → lines', async () => {
    const result = await runSnippet(prepared[1]!);
    expect(result.exitCode).toBe(0);
    expect(compareOutput(page[1]!, result.stdout)).toMatch(
      /printed:\n {4}actual\nbut its \/\/ → lines say:\n {4}expected/,
    );
  });

  it('fails a snippet that does not type-check, naming the line', () => {
    const diagnostics = typecheck(inRepo.slice(0, 3), join(fixtures, 'tsconfig.json'));
    expect(diagnostics.get(inRepo[0]!.path)).toEqual([]);
    expect(diagnostics.get(inRepo[2]!.path)?.join('\n')).toMatch(/line 1: TS2322/);
  }, 60_000);

  it('fails a snippet that leaves something open instead of exiting', async () => {
    const result = await runSnippet(prepared[3]!, { timeoutMs: 1_500 });
    expect(result.timedOut).toBe(true);
  });

  it('runs a snippet with its types removed on the oldest supported Node', async () => {
    const result = await runSnippet(prepared[5]!);
    expect(result.stderr).toBe('');
    expect(compareOutput(page[5]!, result.stdout)).toBeUndefined();
  });

  it('fails a snippet that uses syntax the oldest supported Node cannot parse (await using)', async () => {
    const result = await runSnippet(prepared[6]!);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/SyntaxError/);
    expect(result.stdout).toBe('');
  });

  it('runs a snippet marked node>=24 on Node 24', async () => {
    const result = await runSnippet(prepared[7]!);
    expect(result.stderr).toBe('');
    expect(compareOutput(page[7]!, result.stdout)).toBeUndefined();
  }, 120_000);

  it('reports a snippet that throws through its exit code and stderr', async () => {
    const [thrower] = prepare(
      extractFromMarkdown("```ts\nthrow new Error('boom');\n```\n", 'c.md'),
      mkdtempSync(join(tmpdir(), 'doctest-')),
    );
    const result = await runSnippet(thrower!);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('boom');
  });
});

describe('the doctest suite end to end', () => {
  it('passes the good fences, fails the wrong, ill-typed, hanging and unparsable ones, and skips the opted-out one', async () => {
    const { execFile } = await import('node:child_process');
    const suite = join(fixtures, 'suite');
    const report = join(workDir, 'suite-report.json');
    const code = await new Promise<number | null>((resolve) => {
      execFile(
        process.execPath,
        [
          join(require.resolve('vitest/package.json'), '..', 'vitest.mjs'),
          'run',
          '--root',
          suite,
          '--reporter=json',
          `--outputFile=${report}`,
        ],
        { env: { ...process.env, NODE_OPTIONS: '' } },
        (error) => resolve(error ? ((error as { code?: number }).code ?? 1) : 0),
      );
    });
    expect(code).not.toBe(0);
    const results = JSON.parse(readFileSync(report, 'utf8')) as {
      testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
    };
    const byTitle = Object.fromEntries(results.testResults.flatMap((f) => f.assertionResults).map((a) => [a.title, a]));
    expect(byTitle['line 6']?.status).toBe('passed');
    expect(byTitle['line 13']?.status).toBe('failed');
    expect(byTitle['line 13']?.failureMessages.join('')).toContain('but its // → lines say');
    expect(byTitle['line 20']?.status).toBe('failed');
    expect(byTitle['line 20']?.failureMessages.join('')).toContain('does not type-check');
    expect(byTitle['line 27']?.status).toBe('failed');
    expect(byTitle['line 27']?.failureMessages.join('')).toContain('something was left open');
    expect(byTitle['line 33 (not run: it would format the disk)']?.status).toBe('skipped');
    expect(byTitle['line 43']?.status).toBe('passed');
    expect(byTitle['line 60']?.status).toBe('failed');
    expect(byTitle['line 60']?.failureMessages.join('')).toContain('cannot parse `using` declarations');
    expect(byTitle['line 69 (on Node 24)']?.status).toBe('passed');
    expect(byTitle['line 78 (type-checked, not run: it would need a server)']?.status).toBe('passed');
    expect(byTitle['line 85 (type-checked, not run: it would need a server)']?.status).toBe('failed');
    expect(byTitle['line 85 (type-checked, not run: it would need a server)']?.failureMessages.join('')).toContain(
      'does not type-check',
    );
  }, 120_000);
});
