// The bare floor: array pop/push around an await, and for waiters the least a
// pool can do (an array of resolvers with a head index). No options, no
// leases, no accounting: what any pool costs is measured against this.
import { runShape } from './fifo-shapes.mjs';

await runShape((clients) => {
  const free = Array.from({ length: clients }, (_, id) => ({ id }));
  let waiters = [];
  let head = 0;
  return {
    acquire: () => (free.length > 0 ? free.pop() : new Promise((resolve) => waiters.push(resolve))),
    release: (client) => {
      if (head < waiters.length) {
        const resolve = waiters[head];
        waiters[head++] = undefined;
        if (head === waiters.length) {
          waiters = [];
          head = 0;
        }
        resolve(client);
      } else {
        free.push(client);
      }
    },
    close: async () => {},
  };
});
