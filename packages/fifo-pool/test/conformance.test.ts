import { describePoolConformance } from '@clonepool/core/conformance';
import { ClientPool, channelNames } from '../src/index.js';

describePoolConformance(
  'ClientPool',
  (master, capacity, { reserve }) => ({ pool: new ClientPool(master, capacity, { reserve }) }),
  { channelNames },
);
