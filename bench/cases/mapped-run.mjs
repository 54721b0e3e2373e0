// What a context costs in the mapped-pool suite: one pool.run() per iteration,
// back to back. The `body` arg picks what runs inside:
//   reserve: the first reserve (a clone, synchronous here), a release, and the
//            relinquish when the scope ends (the client's close included);
//   empty:   nothing, so the figure is run() and its AsyncLocalStorage scope alone.
import { MappedPool } from '@clonepool/mapped-pool';
import { bytesPerOp, caseArgs, report, throughput } from '../lib/harness.mjs';

const { body, warmupMs = 500, durationMs = 2_000 } = caseArgs();
let nextId = 0;
const pool = new MappedPool({ clone: () => ({ id: nextId++, close() {} }) });
const bodies = {
  reserve: async () => {
    const lease = await pool.reserve();
    lease.release();
  },
  empty: async () => {},
};
const fn = bodies[body];
if (fn === undefined) throw new Error(`unknown body ${body}`);
const op = () => pool.run(fn);
const { opsPerSec } = await throughput(op, { warmupMs, durationMs });
report({ opsPerSec, bytesPerRun: await bytesPerOp(op, 5_000), clones: pool.stats().clones });
await pool.close();
