// The loads every Keyv store case runs, written once so each store is driven
// by the same loop through the same Keyv: a case script (keyv-<store>.mjs)
// only says how to make its Keyv, then calls runKeyvCase().
//
// Each case seeds its own keys through its Keyv (the stores lay items out
// differently), then runs the shape the suite names: `get` or `set` of 100-byte
// strings, in a closed loop of `concurrency` workers or one at a time. Every
// get is checked against the value stored and every set must resolve true: a
// miss, a wrong value or an error fails the case after it reports.
import { caseArgs } from '../lib/harness.mjs';
import { closedLoop, reportCase, timedCalls } from './memcached-shapes.mjs';

/** The value stored under key `i`: 100 bytes, different per key, so a mixed-up reply is caught. */
function valueFor(i, size) {
  const head = `value ${i} `;
  return head + 'x'.repeat(size - head.length);
}

/**
 * Runs the shape in caseArgs() with the Keyv `connect(servers)` resolves, reports
 * the result, and exits non-zero if any operation missed, was wrong or failed.
 */
export async function runKeyvCase(name, connect) {
  const args = caseArgs();
  const { shape, servers, size, keyCount, concurrency, ttlMs } = args;
  const keyv = await connect(servers);
  const keys = Array.from({ length: keyCount }, (_, i) => `bench:${i}`);
  const values = keys.map((_, i) => valueFor(i, size));
  for (let i = 0; i < keyCount; i++) {
    if (!(await keyv.set(keys[i], values[i], ttlMs))) throw new Error(`${name}: seeding ${keys[i]} failed`);
  }
  let next = 0;
  const call =
    shape === 'get'
      ? async () => {
          const i = next++ % keyCount;
          return (await keyv.get(keys[i])) === values[i];
        }
      : async () => {
          const i = next++ % keyCount;
          return (await keyv.set(keys[i], values[i], ttlMs)) === true;
        };
  const result = concurrency === 1 ? await timedCalls(call, args) : await closedLoop(call, args);
  await keyv.disconnect();
  reportCase(name, args, result);
}
