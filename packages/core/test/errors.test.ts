import { describe, expect, it } from 'vitest';
import {
  ClonepoolError,
  InvalidOptionError,
  LeaseReleasedError,
  PoolClosedError,
  PoolExhaustedError,
  ReserveAbortedError,
  ReserveTimeoutError,
} from '../src/index.js';

describe('errors', () => {
  it('carry stable codes and say what to do next', () => {
    const cases: [ClonepoolError, string, RegExp][] = [
      [new PoolExhaustedError(4), 'ERR_POOL_EXHAUSTED', /All 4 clients.*block: true/],
      [new ReserveTimeoutError(50), 'ERR_RESERVE_TIMEOUT', /timeoutMs \(50 ms\)/],
      [new ReserveAbortedError('gone'), 'ERR_RESERVE_ABORTED', /aborted/],
      [new PoolClosedError(), 'ERR_POOL_CLOSED', /closed/],
      [new LeaseReleasedError(), 'ERR_LEASE_RELEASED', /Reserve again/],
      [
        new InvalidOptionError('timeoutMs', 'a number', 'x'),
        'ERR_INVALID_OPTION',
        /timeoutMs must be a number; got "x"/,
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
});
