import { describePoolConformance } from '@clonepool/core/conformance';
import { channelNames, MappedPool } from '../src/index.js';

describePoolConformance(
  'MappedPool',
  (master, capacity, { reserve }) => {
    const pool = new MappedPool(master, { maxClients: capacity, reserve });
    return { pool, asUser: (fn) => pool.run(fn) };
  },
  { channelNames },
);
