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
  /** Why the fence is not run, when it carries `doctest:skip <reason>`. */
  readonly skip: string | undefined;
}

const FENCE_LANGS = new Set(['ts', 'typescript']);
const EXPECTED = /^\s*\/\/ →(?: (.*))?$/;
const SKIP = /\bdoctest:skip\b(.*)$/;

/** Thrown for a fence the runner cannot accept (an opt-out without a reason, an unclosed fence). */
export class SnippetFormatError extends Error {
  override name = 'SnippetFormatError';
}

function snippet(file: string, line: number, info: string, lines: string[]): Snippet {
  const code = `${lines.join('\n')}\n`;
  const expected: string[] = [];
  for (const l of lines) {
    const match = EXPECTED.exec(l);
    if (match) expected.push(match[1] ?? '');
  }
  const skipMatch = SKIP.exec(info);
  let skip: string | undefined;
  if (skipMatch) {
    skip = (skipMatch[1] ?? '').trim();
    if (skip === '') throw new SnippetFormatError(`${file}:${line}: doctest:skip needs a reason after it`);
  }
  return { file, line, code, expected, skip };
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
