import { describePoolConformance } from '../src/conformance.js';
import { MinimalPool } from './minimal-pool.js';

describePoolConformance('MinimalPool', (master, capacity, { reserve }) => ({
  pool: new MinimalPool(master, capacity, { reserve }),
}));
