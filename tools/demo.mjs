#!/usr/bin/env node
// The main demo. Until the HTTP cache server example lands, it runs the core
// contract's own example: a pool lending clones and taking them back.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const example = join(root, 'examples/core-tour');
const tsx = pathToFileURL(createRequire(join(example, 'package.json')).resolve('tsx/esm')).href;
const { status } = spawnSync(
  process.execPath,
  ['--conditions=@clonepool/source', '--import', tsx, join(example, 'main.ts')],
  { stdio: 'inherit', cwd: example },
);
process.exit(status ?? 1);
