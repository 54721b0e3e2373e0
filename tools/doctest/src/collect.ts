import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { extractFromMarkdown, extractFromTsDoc, type Snippet } from './extract.ts';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.vitepress', '.doctest', 'test-results', 'api']);

function walk(dir: string, accept: (name: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(path, accept, out);
    } else if (accept(name)) out.push(path);
  }
  return out;
}

/**
 * Every doctest of the repository at `root`: the ` ```ts ` fences of
 * `docs/**\/*.md`, of the root `README.md` and of each `packages/*\/README.md`
 * (what npm and GitHub show), and the `@example` fences in `packages/*\/src/**\/*.ts`.
 */
export function collectSnippets(root: string): Snippet[] {
  const packages = readdirSync(join(root, 'packages'))
    .sort()
    .map((p) => join(root, 'packages', p));
  const readmes = [join(root, 'README.md'), ...packages.map((p) => join(p, 'README.md'))].filter((p) =>
    statSync(p, { throwIfNoEntry: false })?.isFile(),
  );
  const markdown = [...walk(join(root, 'docs'), (n) => n.endsWith('.md')), ...readmes];
  const sources = packages
    .map((p) => join(p, 'src'))
    .filter((p) => statSync(p, { throwIfNoEntry: false })?.isDirectory())
    .flatMap((dir) => walk(dir, (n) => n.endsWith('.ts') && !n.endsWith('.d.ts')));
  return [
    ...markdown.flatMap((f) => extractFromMarkdown(readFileSync(f, 'utf8'), relative(root, f))),
    ...sources.flatMap((f) => extractFromTsDoc(readFileSync(f, 'utf8'), relative(root, f))),
  ];
}
