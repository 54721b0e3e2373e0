import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { Snippet } from './extract.ts';

/** A snippet written to disk, ready to check and run. */
export interface PreparedSnippet extends Snippet {
  /** Absolute path of the generated `.ts` file, which is type-checked. */
  readonly path: string;
  /** Absolute path of the `.mjs` file that runs: the same program with only its types removed. */
  readonly program: string;
}

/**
 * Removes a snippet's types and nothing else: TypeScript's `transpileModule`
 * with target ESNext leaves every piece of JavaScript syntax as it is, so a
 * fence that uses syntax the oldest supported Node lacks (`await using` on
 * Node 20 and 22) fails as it would for a user who pastes it, instead of being
 * lowered the way tsx or a bundler would. An inline source map keeps stack
 * traces on the snippet's own lines.
 */
export function stripTypes(code: string, fileName: string): string {
  return ts.transpileModule(code, {
    fileName,
    compilerOptions: {
      target: ts.ScriptTarget.ESNext,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
}

/**
 * Writes each snippet to `dir` as its own module, twice: as TypeScript to
 * type-check and as the JavaScript that runs. `dir` must sit inside a package
 * that depends on everything the snippets import.
 */
export function prepare(snippets: readonly Snippet[], dir: string): PreparedSnippet[] {
  mkdirSync(dir, { recursive: true });
  return snippets.map((s, index) => {
    const name = `${String(index).padStart(3, '0')}-${s.file.replace(/[^\w]+/g, '_')}-L${s.line}`;
    const path = join(dir, `${name}.ts`);
    const program = join(dir, `${name}.mjs`);
    const source = `// ${s.file}:${s.line}\n${s.code}`;
    writeFileSync(path, source);
    writeFileSync(program, stripTypes(source, path));
    return { ...s, path, program };
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

const nodeBinaries = new Map<number, Promise<string>>();

/**
 * The Node binary a snippet runs on: the one running the doctests (the oldest
 * supported, in CI), or for a `node>=N` fence, when that one is older, the
 * latest Node N from npm's `node` package, fetched once through npx.
 */
export function nodeFor(snippet: Pick<Snippet, 'node'>): Promise<string> {
  const major = snippet.node;
  if (major === undefined || Number(process.versions.node.split('.')[0]) >= major) {
    return Promise.resolve(process.execPath);
  }
  let binary = nodeBinaries.get(major);
  if (binary === undefined) {
    binary = new Promise((resolve, reject) => {
      execFile(
        'npx',
        ['--yes', `node@${major}`, '-p', 'process.execPath'],
        { env: { ...process.env, NODE_OPTIONS: '' } },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`could not get Node ${major} through npx: ${stderr || error.message}`));
          else resolve(stdout.trim());
        },
      );
    });
    nodeBinaries.set(major, binary);
  }
  return binary;
}

/**
 * Runs a prepared snippet's JavaScript in a fresh Node process, as a user
 * would run it: plain `node`, no loader, packages resolved as published (their
 * built `dist/`). It waits for the process to exit on its own; a snippet still
 * running after `timeoutMs` (an open socket, a timer) is killed and reported
 * as timed out.
 */
export async function runSnippet(
  snippet: PreparedSnippet,
  { env = {}, timeoutMs = 20_000 }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  const node = await nodeFor(snippet);
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['--enable-source-maps', snippet.program], {
      cwd: join(snippet.program, '..'),
      env: { ...process.env, ...env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
