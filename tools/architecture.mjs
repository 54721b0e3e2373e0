#!/usr/bin/env node
// Checks the direction of every import, and keeps the architecture page true to it.
//
// 1. Packages: core imports nothing of ours; each strategy and the driver import only core;
//    the integrations (keyv, opentelemetry) may import core, the driver and the pools; nothing
//    imports an integration. Read from each package's src/, type-only imports included.
// 2. The driver's files sit in four layers (LAYERS below, drawn on docs/contributing/
//    architecture.md). A file imports values only from its own layer or a lower one; an
//    import of types only (gone at run time) may point anywhere. Every file is in a layer
//    and named on the page.
// 3. Between the page's `<!-- imports:memcached -->` markers, the diagram of the layers and
//    the table of each file's imports are those imports, made by this script.
//
//   node tools/architecture.mjs           check; exit 1 on a broken rule or a stale page
//   node tools/architecture.mjs --write   rewrite the diagram and table from the code, then check
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const page = join(root, 'docs/contributing/architecture.md');

/** What each package's src/ may import of ours, by package folder. */
const ALLOWED = {
  core: [],
  'fifo-pool': ['@clonepool/core'],
  'mapped-pool': ['@clonepool/core'],
  'memcached-driver': ['@clonepool/core'],
  keyv: ['@clonepool/core', '@clonepool/memcached', '@clonepool/fifo-pool', '@clonepool/mapped-pool'],
  opentelemetry: ['@clonepool/core', '@clonepool/memcached', '@clonepool/fifo-pool', '@clonepool/mapped-pool'],
};

/** The driver's layers, top first, and their files (`distribution` is its folder); the page says what each means. */
const LAYERS = [
  ['api', ['client', 'get-or-set', 'fanout', 'arguments']],
  ['routing', ['fleet', 'topology', 'failover', 'discovery', 'gutter', 'options', 'server-stats', 'distribution']],
  ['wire', ['connection', 'socket', 'tls-failures', 'commands', 'merged-gets', 'ops', 'replies', 'parser', 'ring']],
  ['basics', ['servers', 'keys', 'values', 'errors', 'diagnostics', 'abort']],
];
/** The entry points, which import whatever they publish. */
const ENTRIES = ['index', 'testing'];

/** The `.ts` files under `dir`, recursively, sorted. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return files(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

/** Whether every name an import or export clause names is a type. */
function typesOnly(clause, elements) {
  return clause.isTypeOnly || (elements !== undefined && elements.length > 0 && elements.every((e) => e.isTypeOnly));
}

/** Each import and re-export of `file`: `{ from, typeOnly }`. Comments (TSDoc examples) are not read. */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const elements = named !== undefined && ts.isNamedImports(named) ? named.elements : undefined;
      const typeOnly = clause !== undefined && clause.name === undefined && typesOnly(clause, elements);
      found.push({ from: statement.moduleSpecifier.text, typeOnly: typeOnly || clause?.isTypeOnly === true });
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined) {
      const clause = statement.exportClause;
      const elements = clause !== undefined && ts.isNamedExports(clause) ? clause.elements : undefined;
      found.push({ from: statement.moduleSpecifier.text, typeOnly: typesOnly(statement, elements) });
    }
  }
  return found;
}

const problems = [];

// 1. The package rules.
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
for (const pkg of packages) {
  const allowed = ALLOWED[pkg];
  if (allowed === undefined) {
    problems.push(`packages/${pkg} has no import rule: add it to ALLOWED in tools/architecture.mjs`);
    continue;
  }
  for (const file of files(join(root, 'packages', pkg, 'src'))) {
    for (const { from } of importsOf(file)) {
      if (!from.startsWith('@clonepool/')) continue;
      if (!allowed.includes(from.split('/').slice(0, 2).join('/'))) {
        problems.push(
          `${relative(root, file)} imports ${from}; packages/${pkg} may import only ${allowed.join(', ') || 'nothing of ours'}`,
        );
      }
    }
  }
}

// 2. The driver's layers.
const driver = join(root, 'packages/memcached-driver/src');
const moduleOf = (file) => {
  const name = relative(driver, file).replace(/\.ts$/, '');
  return name.startsWith('distribution') ? 'distribution' : name;
};
const layerOf = new Map(LAYERS.flatMap(([layer, names], depth) => names.map((name) => [name, { layer, depth }])));
const text = readFileSync(page, 'utf8');
/** The page without its generated block. */
const written = text.replace(/<!-- imports:memcached -->[\s\S]*<!-- \/imports:memcached -->/, '');
const edges = new Set();
const modules = new Set(files(driver).map(moduleOf));
for (const name of modules) {
  if (ENTRIES.includes(name)) continue;
  if (!layerOf.has(name))
    problems.push(
      `packages/memcached-driver/src/${name}.ts is in no layer: add it to LAYERS in tools/architecture.mjs`,
    );
  // Named in the prose, which says what each file owns, not only in the generated table.
  if (!written.includes(`\`${name}${name === 'distribution' ? '/' : '.ts'}\``)) {
    problems.push(`${relative(root, page)} does not say what \`${name}${name === 'distribution' ? '/' : '.ts'}\` owns`);
  }
}
for (const file of files(driver)) {
  const from = moduleOf(file);
  if (ENTRIES.includes(from) || from === 'distribution') continue;
  for (const { from: specifier, typeOnly } of importsOf(file)) {
    if (!specifier.startsWith('.') || typeOnly) continue;
    const to = moduleOf(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    const [a, b] = [layerOf.get(from), layerOf.get(to)];
    if (a === undefined || b === undefined) continue;
    if (b.depth < a.depth) {
      problems.push(`${from}.ts (${a.layer}) imports values from ${to} (${b.layer}), a layer above it`);
    }
    edges.add(`${from} ${to}`);
  }
}

// 3. The layers as boxes stacked top to bottom, an arrow wherever a layer imports values from
// another (a box names its layer only: Mermaid wraps a longer label and cuts off its last lines);
// then, per file, its layer and what it imports, as a table.
const layerEdges = new Set();
for (const edge of edges) {
  const [from, to] = edge.split(' ').map((name) => layerOf.get(name).layer);
  if (from !== to) layerEdges.add(`  ${from} --> ${to}`);
}
const typeEdges = new Map();
for (const file of files(driver)) {
  const from = moduleOf(file);
  if (ENTRIES.includes(from) || from === 'distribution') continue;
  for (const { from: specifier, typeOnly } of importsOf(file)) {
    if (!specifier.startsWith('.') || !typeOnly) continue;
    const to = moduleOf(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    if (!edges.has(`${from} ${to}`)) typeEdges.set(from, new Set([...(typeEdges.get(from) ?? []), to]));
  }
}
const imported = (from, set) =>
  [...set]
    .filter((to) => to !== from)
    .sort()
    .map((to) => `\`${to}\``)
    .join(', ') || '—';
const valueEdges = new Map();
for (const edge of edges) {
  const [from, to] = edge.split(' ');
  valueEdges.set(from, new Set([...(valueEdges.get(from) ?? []), to]));
}
const generated = [
  '```mermaid',
  'flowchart TB',
  ...LAYERS.map(([layer]) => `  ${layer}`),
  ...[...layerEdges].sort((x, y) => {
    const depth = (edge) => LAYERS.findIndex(([layer]) => edge.trim().startsWith(`${layer} `));
    return depth(x) - depth(y) || x.localeCompare(y);
  }),
  '```',
  '',
  '| file | layer | imports values from | imports only types from |',
  '| --- | --- | --- | --- |',
  ...LAYERS.flatMap(([layer, names]) =>
    names
      .filter((name) => modules.has(name))
      .map(
        (name) =>
          `| \`${name}${name === 'distribution' ? '/' : '.ts'}\` | ${layer} | ${imported(name, valueEdges.get(name) ?? new Set())} | ${imported(name, typeEdges.get(name) ?? new Set())} |`,
      ),
  ),
].join('\n');
const START = '<!-- imports:memcached -->';
const END = '<!-- /imports:memcached -->';
const at = text.indexOf(START);
const end = text.indexOf(END);
if (at === -1 || end === -1) {
  problems.push(`${relative(root, page)} has no ${START} … ${END} block`);
} else if (text.slice(at + START.length, end).trim() !== generated) {
  if (process.argv.includes('--write')) {
    writeFileSync(page, `${text.slice(0, at + START.length)}\n${generated}\n${text.slice(end)}`);
    console.log(`rewrote the driver's diagram and import table in ${relative(root, page)}`);
  } else {
    problems.push(
      `the driver's diagram in ${relative(root, page)} is not its imports: run node tools/architecture.mjs --write`,
    );
  }
}

for (const problem of problems) console.error(`✘ ${problem}`);
if (problems.length > 0) process.exit(1);
console.log(
  `imports follow the rules in ${packages.length} packages and the driver's ${LAYERS.length} layers (${edges.size} value imports between its files)`,
);
