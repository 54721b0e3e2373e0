import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { LongTimeout, MAX_TIMER_MS } from '../src/index.js';

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

/** Runs `fn` on a fake clock, and the real one again after. */
function withFakeClock(fn: (clock: { advance(ms: number): Promise<void> }) => Promise<void>): Promise<void> {
  vi.useFakeTimers();
  return fn({ advance: (ms) => vi.advanceTimersByTimeAsync(ms).then(() => {}) }).finally(() => vi.useRealTimers());
}

describe('LongTimeout', () => {
  it.each([0, 5, MAX_TIMER_MS, MAX_TIMER_MS + 1, THIRTY_DAYS_MS, 3 * MAX_TIMER_MS + 7.5])(
    'fires once, after exactly %d ms',
    (delayMs) =>
      withFakeClock(async (clock) => {
        let fired = 0;
        new LongTimeout(() => fired++, delayMs);
        if (delayMs >= 1) await clock.advance(delayMs - 1);
        expect(fired).toBe(0);
        await clock.advance(1);
        expect(fired).toBe(1);
        await clock.advance(4 * MAX_TIMER_MS);
        expect(fired).toBe(1);
        expect(vi.getTimerCount()).toBe(0);
      }),
  );

  it('never fires once cleared, whichever step it is in', () =>
    withFakeClock(async (clock) => {
      let fired = 0;
      const early = new LongTimeout(() => fired++, THIRTY_DAYS_MS);
      const late = new LongTimeout(() => fired++, THIRTY_DAYS_MS);
      early.clear();
      await clock.advance(MAX_TIMER_MS + 1);
      late.clear();
      late.clear();
      await clock.advance(THIRTY_DAYS_MS);
      expect(fired).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    }));

  it('stays unref()ed through every step of a long delay', () =>
    withFakeClock(async (clock) => {
      const refed = new LongTimeout(() => {}, THIRTY_DAYS_MS);
      const unrefed = new LongTimeout(() => {}, THIRTY_DAYS_MS).unref();
      expect([refed.hasRef(), unrefed.hasRef()]).toEqual([true, false]);
      await clock.advance(MAX_TIMER_MS + 1);
      expect([refed.hasRef(), unrefed.hasRef()]).toEqual([true, false]);
      refed.clear();
      unrefed.clear();
    }));

  it('refuses a delay that is not a finite number of milliseconds >= 0', () => {
    for (const delayMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      expect(() => new LongTimeout(() => {}, delayMs as number)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
  });

  it('waits on the real clock past the setTimeout limit without a TimeoutOverflowWarning, and lets an unref()ed process exit', async () => {
    // In a process of its own, so that the warning and the exit are this timer's alone.
    const script = `
      import { LongTimeout } from '@clonepool/core';
      process.on('warning', (warning) => console.log(warning.name));
      let fired = false;
      new LongTimeout(() => { fired = true; }, ${THIRTY_DAYS_MS}).unref();
      new LongTimeout(() => { fired = true; }, ${MAX_TIMER_MS + 1}).unref();
      setTimeout(() => console.log(fired ? 'fired' : 'waiting'), 50);
    `;
    // A timer that kept the process alive would make it outlive the timeout, and execFile reject.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@clonepool/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: import.meta.dirname, timeout: 4_000 },
    );
    expect(stdout.trim()).toBe('waiting');
  });
});
