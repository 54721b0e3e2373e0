import { describePoolConformance } from '@clonepool/core/conformance';
import { ClientPool } from '../src/index.js';

describePoolConformance('ClientPool', (master, capacity, { reserve }) => ({
  pool: new ClientPool(master, capacity, { reserve }),
}));
