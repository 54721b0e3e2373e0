// One reserve+release cycle, back to back, for the mapped-pool suite. The
// subject is chosen by the `subject` arg, each in its own process:
//   mapped-context: MappedPool, inside a run() context that already holds its client;
//   mapped-root:    MappedPool outside any run() (the root context; AsyncLocalStorage never entered);
//   fifo:           @clonepool/fifo-pool's ClientPool with one client, non-blocking reserve;
//   floor:          the bare floor, array pop/push around an await.
// With `inContext: true`, fifo and floor run inside an AsyncLocalStorage.run()
// of their own: in Node 20 an entered AsyncLocalStorage makes every promise in
// the process pay an async_hooks hook, which a MappedPool in a context pays
// too; that pair isolates what the pool itself costs.
// Reports cycles per second and bytes allocated per cycle.
import { AsyncLocalStorage } from 'node:async_hooks';
import { bytesPerOp, caseArgs, report, throughput } from '../lib/harness.mjs';

const { subject, inContext = false, warmupMs = 500, durationMs = 2_000 } = caseArgs();
const storage = new AsyncLocalStorage();
const scoped = (fn) => (inContext ? storage.run({ request: 1 }, fn) : fn());
let nextId = 0;
const master = { clone: () => ({ id: nextId++ }) };

async function measure(acquire, release) {
  const op = async () => {
    const client = await acquire();
    release(client);
  };
  const { opsPerSec } = await throughput(op, { warmupMs, durationMs });
  return { opsPerSec, bytesPerCycle: await bytesPerOp(op) };
}

const release = (lease) => lease.release();

if (subject === 'mapped-context' || subject === 'mapped-root') {
  const { MappedPool } = await import('@clonepool/mapped-pool');
  const pool = new MappedPool(master);
  const body = async () => {
    (await pool.reserve()).release(); // map the context's client before measuring
    return measure(() => pool.reserve(), release);
  };
  report(subject === 'mapped-context' ? await pool.run(body) : await body());
  await pool.close();
} else if (subject === 'fifo') {
  const { ClientPool } = await import('@clonepool/fifo-pool');
  const pool = new ClientPool(master, 1);
  report(await scoped(() => measure(() => pool.reserve(), release)));
  await pool.close();
} else if (subject === 'floor') {
  const free = [master.clone()];
  report(
    await scoped(() =>
      measure(
        () => free.pop(),
        (client) => free.push(client),
      ),
    ),
  );
} else {
  throw new Error(`unknown subject ${subject}`);
}
