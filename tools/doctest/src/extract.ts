/** One runnable code fence, from a Markdown page or a TSDoc `@example`. */
export interface Snippet {
  /** The file it was found in, relative to the repository root. */
  readonly file: string;
  /** The 1-based line of the fence's first code line in that file. */
  readonly line: number;
  /** The program. */
  readonly code: string;
  /** The lines the program must print, from its `// → text` comments, in order. */
  readonly expected: readonly string[];
  /** Why the fence is neither checked nor run, when it carries `doctest:skip <reason>`. */
  readonly skip: string | undefined;
  /** Why the fence is type-checked but not run, when it carries `doctest:no-run <reason>`. */
  readonly noRun: string | undefined;
  /**
   * The oldest Node major the fence needs, from a `node>=N` option (say, `await using`
   * needs 24); undefined when it runs on the Node running the doctests, the oldest supported.
   */
  readonly node: number | undefined;
}

const FENCE_LANGS = new Set(['ts', 'typescript']);
const EXPECTED = /^\s*\/\/ →(?: (.*))?$/;
const OPTIONS = 'node>=N, doctest:skip <reason>, doctest:no-run <reason>';

/** Thrown for a fence the runner cannot accept (an unknown option, an opt-out without a reason, an unclosed fence). */
export class SnippetFormatError extends Error {
  override name = 'SnippetFormatError';
}

interface FenceOptions {
  readonly skip: string | undefined;
  readonly noRun: string | undefined;
  readonly node: number | undefined;
}

/**
 * Reads a fence's options, the words after its language: `node>=N`, then at
 * most one of `doctest:skip <reason>` or `doctest:no-run <reason>`, whose reason
 * is the rest of the line. Anything else is refused, so a typo cannot quietly
 * run a fence on the wrong Node or not at all.
 */
function parseOptions(info: string, where: string): FenceOptions {
  let rest = info.trim();
  let node: number | undefined;
  for (;;) {
    const version = /^node>=(\d+)(?:\s+|$)/.exec(rest);
    if (version === null) break;
    node = Number(version[1]);
    rest = rest.slice(version[0].length);
  }
  if (rest === '') return { skip: undefined, noRun: undefined, node };
  const optOut = /^doctest:(skip|no-run)\b(.*)$/.exec(rest);
  if (optOut === null) {
    throw new SnippetFormatError(`${where}: unknown fence option "${rest.split(/\s/, 1)[0]}" (options: ${OPTIONS})`);
  }
  const [, kind, text = ''] = optOut;
  const reason = text.trim();
  if (reason === '') throw new SnippetFormatError(`${where}: doctest:${kind} needs a reason after it`);
  return kind === 'skip' ? { skip: reason, noRun: undefined, node } : { skip: undefined, noRun: reason, node };
}

function snippet(file: string, line: number, info: string, lines: string[]): Snippet {
  const code = `${lines.join('\n')}\n`;
  const expected: string[] = [];
  for (const l of lines) {
    const match = EXPECTED.exec(l);
    if (match) expected.push(match[1] ?? '');
  }
  return { file, line, code, expected, ...parseOptions(info, `${file}:${line}`) };
}

/**
 * Collects the ` ```ts ` fences of a Markdown text (other languages are prose).
 *
 * @param text - The Markdown.
 * @param file - Its path, for messages.
 */
export function extractFromMarkdown(text: string, file: string): Snippet[] {
  return extractFences(text.split('\n'), file, 0);
}

/**
 * Collects the ` ```ts ` fences inside `@example` blocks of the TSDoc comments of a TypeScript source.
 *
 * @param text - The source.
 * @param file - Its path, for messages.
 */
export function extractFromTsDoc(text: string, file: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\/\*\*/.test(lines[i] ?? '')) continue;
    const start = i;
    const body: string[] = [];
    for (; i < lines.length; i++) {
      const raw = lines[i] ?? '';
      const end = raw.includes('*/');
      body.push(
        raw
          .replace(/^\s*\/\*\*\s?/, '')
          .replace(/\s*\*\/.*$/, '')
          .replace(/^\s*\* ?/, ''),
      );
      if (end) break;
    }
    // Only the fences of @example sections: from an @example tag to the next tag.
    let inExample = false;
    const exampleLines = body.map((l) => {
      if (/^@example\b/.test(l)) inExample = true;
      else if (/^@\w+/.test(l)) inExample = false;
      return inExample ? l : '';
    });
    snippets.push(...extractFences(exampleLines, file, start));
  }
  return snippets;
}

function extractFences(lines: readonly string[], file: string, offset: number): Snippet[] {
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', ticks = '', lang = '', info = ''] = open;
    const closeAt = lines.findIndex((l, j) => j > i && l.trim() === ticks);
    if (closeAt === -1) throw new SnippetFormatError(`${file}:${offset + i + 1}: unclosed code fence`);
    if (FENCE_LANGS.has(lang)) {
      const code = lines.slice(i + 1, closeAt).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
      snippets.push(snippet(file, offset + i + 2, info, code));
    }
    i = closeAt;
  }
  return snippets;
}
