// generic-pool 3, with every client created before measuring.
import genericPool from 'generic-pool';
import { runShape } from './fifo-shapes.mjs';

await runShape(async (clients) => {
  let nextId = 0;
  const pool = genericPool.createPool(
    { create: async () => ({ id: nextId++ }), destroy: async () => {} },
    { max: clients, min: clients },
  );
  await pool.ready();
  return {
    acquire: () => pool.acquire(),
    release: (client) => {
      pool.release(client);
    },
    close: async () => {
      await pool.drain();
      await pool.clear();
    },
  };
});
