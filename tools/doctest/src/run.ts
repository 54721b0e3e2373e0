import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import type { Snippet } from './extract.ts';

/** A snippet written to disk, ready to check and run. */
export interface PreparedSnippet extends Snippet {
  /** Absolute path of the generated `.ts` file. */
  readonly path: string;
}

/**
 * Writes each snippet to `dir` as its own module. `dir` must sit inside a
 * package that depends on everything the snippets import.
 */
export function prepare(snippets: readonly Snippet[], dir: string): PreparedSnippet[] {
  mkdirSync(dir, { recursive: true });
  return snippets.map((s, index) => {
    const name = `${String(index).padStart(3, '0')}-${s.file.replace(/[^\w]+/g, '_')}-L${s.line}.ts`;
    const path = join(dir, name);
    writeFileSync(path, `// ${s.file}:${s.line}\n${s.code}`);
    return { ...s, path };
  });
}

/**
 * Type-checks every prepared snippet in one TypeScript program with the
 * repository's strict settings, and returns the diagnostics of each file
 * (empty when it checks), keyed by path.
 */
export function typecheck(snippets: readonly PreparedSnippet[], tsconfigPath: string): Map<string, string[]> {
  const config = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, join(tsconfigPath, '..'));
  const program = ts.createProgram(
    snippets.map((s) => s.path),
    { ...parsed.options, noEmit: true, noUnusedLocals: false },
  );
  const result = new Map<string, string[]>(snippets.map((s) => [s.path, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const file = d.file?.fileName;
    const entry = file === undefined ? undefined : result.get(file);
    if (entry === undefined || d.file === undefined || d.start === undefined) {
      // A diagnostic outside the snippets (a package's own source, a config) fails them all.
      for (const list of result.values()) list.push(`${file ?? 'tsconfig'}: ${message}`);
      continue;
    }
    // Line 1 of the generated file is the origin comment, so file line N is snippet line N - 1.
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    entry.push(`line ${line}: TS${d.code} ${message}`);
  }
  return result;
}

/** What a snippet did when run. */
export interface RunResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

/**
 * Runs a prepared snippet in a fresh Node process with the workspace's source
 * condition, and waits for it to exit on its own. A snippet still running
 * after `timeoutMs` (an open socket, a timer) is killed and reported as timed out.
 */
export function runSnippet(
  snippet: PreparedSnippet,
  { env = {}, timeoutMs = 20_000 }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@clonepool/source', '--import', tsxLoader, '--no-warnings', snippet.path],
      {
        cwd: join(snippet.path, '..'),
        env: { ...process.env, ...env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr, timedOut });
    });
  });
}

/**
 * Compares what a snippet printed with its `// →` lines. Returns a message
 * describing the difference, or undefined when they agree (or when the
 * snippet states no output).
 */
export function compareOutput(snippet: Snippet, stdout: string): string | undefined {
  if (snippet.expected.length === 0) return undefined;
  const actual = stdout.replace(/\n$/, '').split('\n');
  const same = actual.length === snippet.expected.length && actual.every((line, i) => line === snippet.expected[i]);
  if (same) return undefined;
  const show = (lines: readonly string[]) => lines.map((l) => `    ${l}`).join('\n');
  return `printed:\n${show(actual)}\nbut its // → lines say:\n${show(snippet.expected)}`;
}

/** Names a snippet for test titles: `docs/guide/x.md:12`. */
export function title(snippet: Snippet, root: string): string {
  return `${relative(root, join(root, snippet.file))}:${snippet.line}`;
}
