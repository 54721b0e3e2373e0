export { collectSnippets } from './collect.ts';
export { extractFromMarkdown, extractFromTsDoc, type Snippet, SnippetFormatError } from './extract.ts';
export {
  compareOutput,
  nodeFor,
  type PreparedSnippet,
  prepare,
  type RunResult,
  runSnippet,
  stripTypes,
  title,
  typecheck,
} from './run.ts';
export { defineDoctests } from './suite.ts';
