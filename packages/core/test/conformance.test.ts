import { describePoolConformance } from '../src/conformance.js';
import { MinimalPool } from './minimal-pool.js';

describePoolConformance('MinimalPool', (master, capacity) => ({ pool: new MinimalPool(master, capacity) }));
