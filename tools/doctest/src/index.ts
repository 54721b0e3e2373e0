export { collectSnippets } from './collect.ts';
export { extractFromMarkdown, extractFromTsDoc, type Snippet, SnippetFormatError } from './extract.ts';
export { compareOutput, type PreparedSnippet, prepare, type RunResult, runSnippet, title, typecheck } from './run.ts';
export { defineDoctests } from './suite.ts';
