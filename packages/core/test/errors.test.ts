import { describe, expect, it } from 'vitest';
import {
  ClonepoolError,
  InvalidArgumentError,
  LeaseReleasedError,
  PoolClosedError,
  PoolExhaustedError,
  ReserveAbortedError,
  ReserveTimeoutError,
} from '../src/index.js';

/** Loads a module again as a separate instance (vite keys modules by their URL, query included). */
function secondCopy<T>(path: string): Promise<T> {
  return import(`${path}?second-copy`);
}

describe('errors', () => {
  it('carry stable codes and say what to do next', () => {
    const cases: [ClonepoolError, string, RegExp][] = [
      [new PoolExhaustedError(4), 'ERR_POOL_EXHAUSTED', /All 4 clients.*block: true/],
      [new ReserveTimeoutError(50), 'ERR_RESERVE_TIMEOUT', /timeoutMs \(50 ms\)/],
      [new ReserveAbortedError('gone'), 'ERR_RESERVE_ABORTED', /aborted/],
      [new PoolClosedError(), 'ERR_POOL_CLOSED', /closed/],
      [new LeaseReleasedError(), 'ERR_LEASE_RELEASED', /Reserve again/],
      [
        new InvalidArgumentError('timeoutMs', 'a number', 'x', 'option'),
        'ERR_INVALID_ARG_VALUE',
        /^Option timeoutMs must be a number; got "x"\.$/,
      ],
      [
        new InvalidArgumentError('ttl', 'an integer', 1.5),
        'ERR_INVALID_ARG_VALUE',
        /^Argument ttl must be an integer; got 1\.5\.$/,
      ],
      [
        InvalidArgumentError.unknownOption('timeout', ['block', 'timeoutMs'], 'reserve()'),
        'ERR_INVALID_ARG_VALUE',
        /^Option timeout is not one reserve\(\) knows; its options are block, timeoutMs\.$/,
      ],
    ];
    for (const [error, code, message] of cases) {
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(error.name).toBe(error.constructor.name);
      expect(error).toBeInstanceOf(ClonepoolError);
      expect(error).toBeInstanceOf(Error);
    }
  });

  it('keep the abort reason as the cause', () => {
    const reason = new Error('request closed');
    expect(new ReserveAbortedError(reason).cause).toBe(reason);
  });

  it('match instanceof by code across two installed copies of core', () => {
    // Another copy of core brands its errors with the same registered symbol.
    const foreign = Object.assign(new Error('from another copy'), { code: 'ERR_POOL_CLOSED' });
    Object.defineProperty(foreign, Symbol.for('clonepool.error'), { value: true });
    expect(foreign).toBeInstanceOf(ClonepoolError);
    expect(foreign).toBeInstanceOf(PoolClosedError);
    expect(foreign).not.toBeInstanceOf(PoolExhaustedError);
    const unbranded = Object.assign(new Error('lookalike'), { code: 'ERR_POOL_CLOSED' });
    expect(unbranded).not.toBeInstanceOf(PoolClosedError);
    expect(new PoolExhaustedError(1)).not.toBeInstanceOf(PoolClosedError);
  });

  it('match a package base class by its family only, across two loaded copies of the package', async () => {
    // The same file loaded twice is two copies of its classes, as two installs of a package are.
    const one = await import('./fixtures/two-copies/toy-errors.js');
    const two = await secondCopy<typeof one>('./fixtures/two-copies/toy-errors.js');
    expect(two.ToyError).not.toBe(one.ToyError);
    const broken = new two.ToyBrokenError();
    expect(broken).toBeInstanceOf(one.ToyError);
    expect(broken).toBeInstanceOf(one.ToyBrokenError);
    expect(broken).not.toBeInstanceOf(one.ToyLostError);
    expect(broken).toBeInstanceOf(ClonepoolError);
    expect(new one.ToyLostError()).toBeInstanceOf(two.ToyError);
    // The base matches its own package's errors only, not every clonepool error.
    expect(new PoolClosedError()).not.toBeInstanceOf(one.ToyError);
    expect(new InvalidArgumentError('x', 'y', 1)).not.toBeInstanceOf(two.ToyError);
    // An error of another copy of core matches by code as before.
    const core = await secondCopy<typeof import('../src/errors.js')>('../src/errors.js');
    expect(core.PoolClosedError).not.toBe(PoolClosedError);
    expect(new core.PoolClosedError()).toBeInstanceOf(PoolClosedError);
    expect(new core.PoolClosedError()).not.toBeInstanceOf(one.ToyError);
    expect(new PoolExhaustedError(1)).toBeInstanceOf(core.ClonepoolError);
  });

  it('describe what they got without printing secrets or huge data', () => {
    expect(new InvalidArgumentError('password', 'short', 'x'.repeat(41)).message).toMatch(
      /got a string of length 41\.$/,
    );
    expect(new InvalidArgumentError('value', 'small', new Uint8Array(3)).message).toMatch(/got 3 bytes\.$/);
    expect(new InvalidArgumentError('key', 'a string', Symbol('k')).message).toMatch(/got a symbol\.$/);
    expect(new InvalidArgumentError('delta', 'small', 5n).message).toMatch(/got 5n\.$/);
  });

  it('carry the unknown-option message in the stack too', () => {
    const error = InvalidArgumentError.unknownOption('graceMS', ['graceMs'], 'close()');
    expect(error.stack?.split('\n')[0]).toBe(`InvalidArgumentError: ${error.message}`);
    expect(error.name).toBe('InvalidArgumentError');
  });
});
