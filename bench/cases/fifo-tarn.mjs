// tarn 3, with its default acquire timeout (it always arms one).
import tarn from 'tarn';
import { runShape } from './fifo-shapes.mjs';

await runShape(async (clients) => {
  let nextId = 0;
  const pool = new tarn.Pool({ create: async () => ({ id: nextId++ }), destroy: () => {}, min: clients, max: clients });
  // Create every client before measuring.
  const warm = await Promise.all(Array.from({ length: clients }, () => pool.acquire().promise));
  for (const client of warm) pool.release(client);
  return {
    acquire: () => pool.acquire().promise,
    release: (client) => {
      pool.release(client);
    },
    close: () => pool.destroy(),
  };
});
