#!/usr/bin/env node
// Checks that source files read top to bottom: no function over MAX_FUNCTION_LINES lines
// of code and no class over MAX_CLASS_LINES (comments, TSDoc and blank lines not counted).
// Prints the largest of each and exits non-zero when one is over.
//
//   node tools/source-size.mjs [dir …]     (default: packages/memcached-driver/src)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const MAX_FUNCTION_LINES = 60;
const MAX_CLASS_LINES = 400;
const SHOWN = 5;

const root = join(import.meta.dirname, '..');
const dirs = process.argv.length > 2 ? process.argv.slice(2) : [join(root, 'packages/memcached-driver/src')];

/** The `.ts` files under `dir`, recursively. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The lines on which a token starts: blank lines and comments (TSDoc too) hold none. */
function codeLines(source) {
  const lines = new Set();
  const visit = (node) => {
    // getChildren() includes a node's TSDoc, which is not code.
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(source);
    if (children.length === 0) lines.add(source.getLineAndCharacterOfPosition(node.getStart(source)).line);
    for (const child of children) visit(child);
  };
  visit(source);
  return lines;
}

function measure(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const code = codeLines(source);
  const found = [];
  const count = (node) => {
    const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
    let n = 0;
    for (let line = first; line <= last; line++) if (code.has(line)) n++;
    return { lines: n, line: first + 1 };
  };
  const visit = (node, className) => {
    if (ts.isClassDeclaration(node)) {
      found.push({ kind: 'class', name: node.name?.text ?? '(anonymous)', file, ...count(node) });
      className = node.name?.text;
    } else if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const name = node.name?.getText(source) ?? (ts.isConstructorDeclaration(node) ? 'constructor' : '(arrow)');
      found.push({ kind: 'function', name: className ? `${className}.${name}` : name, file, ...count(node) });
    }
    ts.forEachChild(node, (child) => visit(child, className));
  };
  visit(source, undefined);
  return found;
}

const all = dirs.flatMap(files).flatMap(measure);
let over = 0;
for (const [kind, max] of [
  ['function', MAX_FUNCTION_LINES],
  ['class', MAX_CLASS_LINES],
]) {
  const sorted = all.filter((item) => item.kind === kind).sort((a, b) => b.lines - a.lines);
  console.log(`largest ${kind === 'class' ? 'classes' : 'functions'} (lines of code; at most ${max}):`);
  for (const item of sorted.slice(0, SHOWN)) {
    console.log(`  ${String(item.lines).padStart(4)}  ${item.name}  ${relative(root, item.file)}:${item.line}`);
  }
  for (const item of sorted.filter((entry) => entry.lines > max)) {
    console.error(`✘ ${kind} ${item.name} (${relative(root, item.file)}:${item.line}) has ${item.lines} lines of code`);
    over++;
  }
}
process.exit(over === 0 ? 0 : 1);
