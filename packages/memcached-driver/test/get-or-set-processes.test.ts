// getOrSet across real processes: each Worker is a Node process with its own client
// (helpers/get-or-set-worker.ts), all against one memcached. The factories wait for the test's
// "go", so what the other callers do while a refresh runs is seen, not timed.
import { describe, expect, it } from 'vitest';
import { Client, type GetOrSetOptions } from '../src/index.ts';
import type { WorkerArgs } from './helpers/get-or-set-worker.ts';
import { Worker, type WorkerLine } from './helpers/workers.ts';
import { rawTtl, sharedServer, sleep, track } from './support.ts';

let prefixes = 0;
const fresh = () => `gosp${process.pid}x${prefixes++}:`;

function workers(count: number, args: Omit<WorkerArgs, 'server'>): Promise<Worker[]> {
  return Promise.all(Array.from({ length: count }, () => Worker.start({ server: sharedServer(), ...args })));
}

const isFactory = (line: WorkerLine) => line.type === 'factory';
const isDone = (line: WorkerLine) => line.type === 'done';
const isEvent = (event: string) => (line: WorkerLine) => line.type === 'event' && line.event === event;
const sum = (all: Worker[], count: (worker: Worker) => number) => all.reduce((total, w) => total + count(w), 0);

/** Resolves with the worker whose factory ran first, once one did. */
function firstFactory(all: Worker[]): Promise<Worker> {
  return Promise.any(all.map((worker) => worker.until(isFactory).then(() => worker)));
}

describe('getOrSet across processes', () => {
  it('runs the factory once among 4 processes of 25 callers each for a missing key', async () => {
    const prefix = fresh();
    const options: GetOrSetOptions = { ttl: 60, waitMs: 15_000 };
    const all = await workers(4, { prefix, key: 'k', calls: 25, options, factory: 'value', value: 'v', gate: true });
    for (const worker of all) worker.send('start');
    const winner = await firstFactory(all);
    // Every other process has nothing to serve, and waits for the winner's value.
    await Promise.all(all.filter((w) => w !== winner).map((w) => w.until(isEvent('wait'))));
    for (const worker of all) worker.send('go');
    await Promise.all(all.map((w) => w.until(isDone)));
    expect(sum(all, (w) => w.count('factory'))).toBe(1);
    expect(sum(all, (w) => w.count('event', 'win'))).toBe(1);
    expect(all.flatMap((w) => w.results())).toEqual(Array.from({ length: 100 }, () => ({ value: 'v' })));
  });

  it('serves the old value at once to every other caller while one process refreshes (grace)', async () => {
    const prefix = fresh();
    const options: GetOrSetOptions = { ttl: 1, grace: 60, waitMs: 15_000 };
    const seeder = track(new Client(sharedServer(), { keyPrefix: prefix }));
    await seeder.getOrSet('k', () => 'old', options);
    // Due once ttl has passed: grace is all that is left of ttl + grace.
    while ((await rawTtl(sharedServer(), `${prefix}k`))! > 60) await sleep(100);
    const all = await workers(4, { prefix, key: 'k', calls: 25, options, factory: 'value', value: 'new', gate: true });
    for (const worker of all) worker.send('start');
    const winner = await firstFactory(all);
    // 99 calls are served the old value while the factory is still held.
    await Promise.all(all.map((w) => w.until((line) => line.type === 'result', w === winner ? 24 : 25)));
    expect(all.flatMap((w) => w.results())).toEqual(Array.from({ length: 99 }, () => ({ value: 'old' })));
    expect(winner.lines.find(isFactory)).toEqual({ type: 'factory', stale: 'old' });
    for (const worker of all) worker.send('go');
    await Promise.all(all.map((w) => w.until(isDone)));
    expect(sum(all, (w) => w.count('factory'))).toBe(1);
    expect(sum(all, (w) => w.count('event', 'stale'))).toBe(99);
    expect(winner.results().filter((result) => result.value === 'new')).toHaveLength(1);
    expect(await seeder.get('k')).toBe('new');
  });

  it('takes over after lockTtl when the process that won the refresh is killed mid-factory', async () => {
    const prefix = fresh();
    const [dying, survivor] = await Promise.all([
      Worker.start({
        server: sharedServer(),
        prefix,
        key: 'k',
        calls: 1,
        options: { ttl: 60, lockTtl: 1 },
        factory: 'hang',
      }),
      Worker.start({
        server: sharedServer(),
        prefix,
        key: 'k',
        calls: 5,
        options: { ttl: 60, lockTtl: 1, waitMs: 15_000 },
        factory: 'value',
        value: 'from the survivor',
      }),
    ]);
    dying!.send('start');
    await dying!.until(isFactory);
    survivor!.send('start');
    await survivor!.until(isEvent('wait'));
    dying!.kill();
    await survivor!.until(isDone);
    expect(survivor!.lines.filter((line) => line.type === 'event')).toEqual([
      { type: 'event', event: 'wait' },
      { type: 'event', event: 'takeover' },
    ]);
    expect(survivor!.count('factory')).toBe(1);
    expect(survivor!.results()).toEqual(Array.from({ length: 5 }, () => ({ value: 'from the survivor' })));
  });

  it('hands the right back when the factory fails: another process refreshes without waiting for lockTtl', async () => {
    const prefix = fresh();
    // lockTtl 30 s, waitMs 15 s: the waiting process can only win if the right is given back.
    const options: GetOrSetOptions = { ttl: 60, lockTtl: 30, waitMs: 15_000 };
    const [failing, waiting] = await Promise.all([
      Worker.start({ server: sharedServer(), prefix, key: 'k', calls: 3, options, factory: 'throw', gate: true }),
      Worker.start({
        server: sharedServer(),
        prefix,
        key: 'k',
        calls: 3,
        options,
        factory: 'value',
        value: 'recovered',
      }),
    ]);
    failing!.send('start');
    await failing!.until(isFactory);
    waiting!.send('start');
    await waiting!.until(isEvent('wait'));
    failing!.send('go');
    await Promise.all([failing!.until(isDone), waiting!.until(isDone)]);
    // The failing process's callers, all sharing its refresh, get the factory's error.
    expect(failing!.results()).toEqual(Array.from({ length: 3 }, () => ({ error: 'the database is down' })));
    expect(failing!.lines.filter((line) => line.type === 'event').map((line) => 'event' in line && line.event)).toEqual(
      ['win', 'error'],
    );
    expect(waiting!.count('event', 'takeover')).toBe(1);
    expect(waiting!.results()).toEqual(Array.from({ length: 3 }, () => ({ value: 'recovered' })));
  });

  it('after an invalidate, one process refreshes and the others are served the stale value; a failed refresh keeps it', async () => {
    const prefix = fresh();
    const options: GetOrSetOptions = { ttl: 300, waitMs: 15_000 };
    const parent = track(new Client(sharedServer(), { keyPrefix: prefix }));
    await parent.getOrSet('k', () => 'v1', options);
    expect(await parent.invalidate('k', { grace: 30 })).toBe(true);
    // A refresh that fails leaves the stale value as it was, and the right free.
    const [failing] = await workers(1, { prefix, key: 'k', calls: 1, options, factory: 'throw' });
    failing!.send('start');
    await failing!.until(isDone);
    expect(failing!.lines.find(isFactory)).toEqual({ type: 'factory', stale: 'v1' });
    expect(await parent.get('k')).toBe('v1');
    const all = await workers(3, { prefix, key: 'k', calls: 10, options, factory: 'value', value: 'v2', gate: true });
    for (const worker of all) worker.send('start');
    const winner = await firstFactory(all);
    await Promise.all(all.map((w) => w.until((line) => line.type === 'result', w === winner ? 9 : 10)));
    expect(all.flatMap((w) => w.results())).toEqual(Array.from({ length: 29 }, () => ({ value: 'v1' })));
    for (const worker of all) worker.send('go');
    await Promise.all(all.map((w) => w.until(isDone)));
    expect(sum(all, (w) => w.count('factory'))).toBe(1);
    expect(await parent.get('k')).toBe('v2');
  });
});
