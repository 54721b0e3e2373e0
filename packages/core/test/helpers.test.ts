import { describe, expect, it, vi } from 'vitest';
import {
  checkClonable,
  checkMilliseconds,
  checkOptions,
  checkPoolName,
  closeClient,
  isPromiseLike,
  Lease,
  parseReserveDefaults,
  parseReserveOptions,
} from '../src/index.js';
import { TestClient } from '../src/testing.js';

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

describe('closeClient', () => {
  it('uses the first close method a client has, and waits for it', async () => {
    const calls: string[] = [];
    const slow = (name: string) => async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.push(name);
    };
    await closeClient({ [Symbol.asyncDispose]: slow('asyncDispose'), close: slow('close') });
    await closeClient({ close: slow('close'), quit: slow('quit') });
    await closeClient({ quit: slow('quit'), disconnect: slow('disconnect') });
    await closeClient({ end: slow('end') });
    await closeClient({ disconnect: () => calls.push('disconnect') });
    await closeClient({ [Symbol.dispose]: () => calls.push('dispose') });
    expect(calls).toEqual(['asyncDispose', 'close', 'quit', 'end', 'disconnect', 'dispose']);
  });

  it('calls the method on the client itself and leaves clients without one alone', async () => {
    const client = {
      closed: false,
      close() {
        this.closed = true;
      },
    };
    await closeClient(client);
    expect(client.closed).toBe(true);
    await expect(closeClient({})).resolves.toBeUndefined();
    await expect(closeClient(null)).resolves.toBeUndefined();
    await expect(closeClient(42)).resolves.toBeUndefined();
  });

  it('propagates the error of a failing close', async () => {
    await expect(closeClient({ close: () => Promise.reject(new Error('EPIPE')) })).rejects.toThrow('EPIPE');
  });
});

describe('parseReserveOptions', () => {
  it('defaults to a non-blocking reserve', () => {
    expect(parseReserveOptions(undefined)).toEqual({ block: false, timeoutMs: undefined, signal: undefined });
    expect(parseReserveOptions({})).toEqual({ block: false, timeoutMs: undefined, signal: undefined });
  });

  it.each([
    [{ block: 'yes' }, /block must be a boolean/],
    [{ block: true, timeoutMs: -1 }, /timeoutMs must be a number of milliseconds >= 0/],
    [{ block: true, timeoutMs: Number.NaN }, /timeoutMs must be a number of milliseconds >= 0/],
    [{ block: true, timeoutMs: '5' }, /timeoutMs must be a number of milliseconds >= 0/],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, /only with block: true/],
    [{ block: true, signal: {} }, /signal must be an AbortSignal/],
    [{ timeoutMs: 10 }, /only with block: true/],
    [{ signal: new AbortController().signal }, /only with block: true/],
  ])('rejects %o', (options, message) => {
    expect(() => parseReserveOptions(options as never)).toThrow(message);
  });

  it('waits without limit for timeoutMs: Infinity, which setTimeout could not take', () => {
    expect(parseReserveOptions({ block: true, timeoutMs: Number.POSITIVE_INFINITY })).toEqual({
      block: true,
      timeoutMs: undefined,
      signal: undefined,
    });
  });

  it('refuses unknown option names, listing the known ones', () => {
    for (const options of [{ timeout: 5 }, { blocking: true }, { block: true, signal: undefined, abort: 1 }]) {
      const name = Object.keys(options).at(-1);
      expect(() => parseReserveOptions(options as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_VALUE',
          message: `Option ${name} is not one reserve() knows; its options are block, timeoutMs, signal.`,
        }),
      );
    }
    // Inherited names are not the caller's: only own names are checked.
    const inherited = Object.create({ stray: 1 }) as { block?: boolean };
    inherited.block = true;
    expect(parseReserveOptions(inherited).block).toBe(true);
    expect(() => parseReserveOptions(null as never)).toThrow(/options must be an object/);
    expect(() => parseReserveOptions([] as never)).toThrow(/options must be an object/);
  });

  it('returns the same object for the common reserves, so the hot path allocates nothing', () => {
    const defaults = parseReserveDefaults({ block: true, timeoutMs: 2_000 });
    expect(parseReserveOptions(undefined, defaults)).toBe(defaults);
    expect(parseReserveOptions({ block: true }, defaults)).toBe(defaults);
    expect(parseReserveOptions({ block: true })).toBe(parseReserveOptions({ block: true }));
    expect(parseReserveOptions({})).toBe(parseReserveOptions(undefined));
  });

  it('rejects a blocking reserve whose signal already aborted', () => {
    expect(() => parseReserveOptions({ block: true, signal: AbortSignal.abort('x') })).toThrow(
      expect.objectContaining({ code: 'ERR_RESERVE_ABORTED' }),
    );
  });

  it('checks durations', () => {
    expect(checkMilliseconds('idleTimeoutMs', 0)).toBe(0);
    expect(() => checkMilliseconds('idleTimeoutMs', 0, 1)).toThrow(
      /idleTimeoutMs must be a finite number of milliseconds >= 1/,
    );
    expect(() => checkMilliseconds('idleTimeoutMs', '5')).toThrow(/got "5"/);
  });
});

describe('parseReserveDefaults', () => {
  it("applies a pool's defaults to each reserve, field by field", () => {
    const waiting = parseReserveDefaults({ block: true, timeoutMs: 2_000 });
    const signal = new AbortController().signal;
    expect(parseReserveOptions(undefined, waiting)).toEqual({ block: true, timeoutMs: 2_000, signal: undefined });
    expect(parseReserveOptions({ timeoutMs: 50 }, waiting)).toEqual({ block: true, timeoutMs: 50, signal: undefined });
    expect(parseReserveOptions({ signal }, waiting)).toEqual({ block: true, timeoutMs: 2_000, signal });
    expect(parseReserveOptions({ timeoutMs: Number.POSITIVE_INFINITY }, waiting).timeoutMs).toBeUndefined();
    // A call that does not block leaves the default timeout out, rather than fail.
    expect(parseReserveOptions({ block: false }, waiting)).toEqual({
      block: false,
      timeoutMs: undefined,
      signal: undefined,
    });
    expect(() => parseReserveOptions({ block: false, timeoutMs: 5 }, waiting)).toThrow(/only with block: true/);
    const blocking = parseReserveDefaults({ block: true });
    expect(parseReserveOptions({}, blocking)).toEqual({ block: true, timeoutMs: undefined, signal: undefined });
  });

  it("keeps pylibmc's non-blocking reserve when no defaults are given", () => {
    expect(parseReserveDefaults(undefined)).toEqual({ block: false, timeoutMs: undefined, signal: undefined });
    expect(parseReserveDefaults({})).toEqual({ block: false, timeoutMs: undefined, signal: undefined });
    expect(() => parseReserveOptions({ timeoutMs: 5 }, parseReserveDefaults({}))).toThrow(/only with block: true/);
  });

  it('refuses a default signal, unknown names and bad values, naming them as the reserve option', () => {
    expect(() => parseReserveDefaults({ block: true, signal: new AbortController().signal } as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(
          /^Option reserve\.signal must be left out of the pool's defaults .*each reserve\(\)/,
        ),
      }),
    );
    expect(() => parseReserveDefaults({ block: true, timeout: 5 } as never)).toThrow(
      "Option timeout is not one the pool's reserve option knows; its options are block, timeoutMs, signal.",
    );
    expect(() => parseReserveDefaults({ timeoutMs: 5 })).toThrow(
      /^Option reserve\.timeoutMs must be given only with reserve\.block: true/,
    );
    expect(() => parseReserveDefaults({ block: 'yes' } as never)).toThrow(/^Option reserve\.block must be a boolean/);
    expect(() => parseReserveDefaults(5 as never)).toThrow(/options must be an object/);
  });
});

describe('boundary checks', () => {
  it('checkOptions returns the options and refuses what is not an options object', () => {
    const options = { graceMs: 5 };
    expect(checkOptions(options, ['graceMs'], 'close()')).toBe(options);
    expect(() => checkOptions('fast', ['graceMs'], 'close()')).toThrow(
      'Argument options must be an object (of close()); got "fast".',
    );
    expect(() => checkOptions({ grace: 5 }, ['graceMs'], 'close()')).toThrow(
      'Option grace is not one close() knows; its options are graceMs.',
    );
  });

  it('checkPoolName takes a printable non-empty name or none, and refuses anything else, naming the option', () => {
    expect(checkPoolName('sessions')).toBe('sessions');
    expect(checkPoolName('cache · eu-west')).toBe('cache · eu-west');
    expect(checkPoolName(undefined)).toBeUndefined();
    for (const name of ['', 'a\nb', 'tab\t', 7, null, {}]) {
      expect(() => checkPoolName(name)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/^Option name /) }),
      );
    }
  });

  it('checkClonable accepts anything with a clone() method and says what to pass otherwise', () => {
    expect(() => checkClonable({ clone: () => 1 })).not.toThrow();
    expect(() => checkClonable(Object.assign(() => 1, { clone: () => 1 }))).not.toThrow();
    for (const master of [undefined, null, 4, {}, { clone: 1 }, { duplicate: () => 1 }]) {
      expect(() => checkClonable(master)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_VALUE',
          message: expect.stringMatching(/^Argument master must be a client with a clone\(\) method .*duplicate\(\)/),
        }),
      );
    }
    expect(() => checkClonable(null, 'client')).toThrow(/^Argument client must be/);
  });

  it('isPromiseLike tells thenables from other values', () => {
    // Made without a literal `then` key, which the linter rightly flags anywhere but here.
    const withThen = <T extends object>(target: T, then: unknown): T =>
      Object.defineProperty(target, 'then', { value: then });
    const is = (value: unknown) => isPromiseLike(value);
    expect(
      [
        Promise.resolve(),
        withThen({}, () => {}),
        withThen(
          () => {},
          () => {},
        ),
      ].map(is),
    ).toEqual([true, true, true]);
    expect([null, undefined, 1, 'then', withThen({}, 1), () => {}].map(is)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('Lease', () => {
  it('tells its owner once, whether released, disposed or discarded', async () => {
    const settled: [string, boolean, unknown][] = [];
    const owner = {
      settle: (client: string, discarded: boolean, reason: unknown) => settled.push([client, discarded, reason]),
    };
    const a = new Lease('a', owner);
    a.release();
    a.release();
    a.discard('late');
    const b = new Lease('b', owner);
    b.discard('broken');
    b.release();
    {
      using c = new Lease('c', owner);
      expect(c.client).toBe('c');
    }
    {
      await using d = new Lease('d', owner);
      expect(d.released).toBe(false);
    }
    expect(settled).toEqual([
      ['a', false, undefined],
      ['b', true, 'broken'],
      ['c', false, undefined],
      ['d', false, undefined],
    ]);
    expect(() => a.client).toThrow(expect.objectContaining({ code: 'ERR_LEASE_RELEASED' }));
  });
});

describe('TestClient', () => {
  it('delays a clone by a cloneDelayMs longer than setTimeout can take', async () => {
    vi.useFakeTimers();
    try {
      const master = new TestClient({ cloneDelayMs: THIRTY_DAYS_MS });
      let clone: TestClient | undefined;
      void master.clone().then((made) => {
        clone = made;
      });
      await vi.advanceTimersByTimeAsync(THIRTY_DAYS_MS - 1);
      expect(clone).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(clone?.id).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
