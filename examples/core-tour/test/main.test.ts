import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('lends two clients, refuses a third, and takes both back', async () => {
  const dir = join(import.meta.dirname, '..');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@clonepool/source', '--import', 'tsx', 'main.ts'],
    { cwd: dir },
  );
  expect(stdout.trim().split('\n')).toEqual([
    'lent clients 1 and 2',
    'a third reserve: ERR_POOL_EXHAUSTED',
    'client 2 is back; 1 idle',
    'client 1 is back; 2 idle',
  ]);
});
