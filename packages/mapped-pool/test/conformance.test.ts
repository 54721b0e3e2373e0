import { describePoolConformance } from '@clonepool/core/conformance';
import { MappedPool } from '../src/index.js';

describePoolConformance('MappedPool', (master, capacity) => {
  const pool = new MappedPool(master, { maxClients: capacity });
  return { pool, asUser: (fn) => pool.run(fn) };
});
