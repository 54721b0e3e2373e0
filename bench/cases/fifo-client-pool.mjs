// @clonepool/fifo-pool's ClientPool (its built dist/), filled with sync clones.
import { ClientPool } from '@clonepool/fifo-pool';
import { caseArgs } from '../lib/harness.mjs';
import { runShape } from './fifo-shapes.mjs';

const BLOCK = { block: true };

await runShape((clients) => {
  let nextId = 0;
  const pool = new ClientPool({ clone: () => ({ id: nextId++ }) }, clients);
  // One caller never meets an empty pool, so it reserves the pylibmc way (non-blocking).
  const options = caseArgs().shape === 'single' ? undefined : BLOCK;
  return {
    acquire: () => pool.reserve(options),
    release: (lease) => lease.release(),
    close: () => pool.close(),
  };
});
