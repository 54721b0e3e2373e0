import { ClonepoolError, InvalidArgumentError, PoolClosedError } from '@clonepool/core';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.ts';
import { MemcachedError } from '../src/index.ts';

/** Loads a module again as a separate instance (vite keys modules by their URL, query included). */
function secondCopy<T>(path: string): Promise<T> {
  return import(`${path}?second-copy`);
}

/** One instance of each error class the package defines. */
function oneOfEach(e: typeof errors): ClonepoolError[] {
  const connection = new e.ConnectionError('a:1', 'the connection closed');
  return [
    new e.MemcachedServerError('out of memory', 'a:1'),
    new e.MemcachedClientError('CLIENT_ERROR bad data chunk', 'a:1'),
    connection,
    new e.TimeoutError('a:1', 'timeoutMs', 1000),
    new e.ServersFailedError('getMulti', 2, ['a:1'], [connection]),
    new e.ClientClosedError(),
    new e.InvalidKeyError('it is empty'),
    new e.ValueTooLargeError(10, 5),
    new e.InvalidValueError('a function cannot be stored'),
    new e.AppendUnsupportedError('append', 1024),
    new e.ProtocolError('a:1', 'unexpected reply "HELLO"'),
    new e.AuthenticationError('a:1', 'CLIENT_ERROR authentication failure'),
    new e.InvalidServerError('localhost:port', 'the port "port" is not a whole number'),
  ];
}

describe('errors', () => {
  it('all extend MemcachedError, with a code of their own and the server where there is one', () => {
    const all = oneOfEach(errors);
    expect(new Set(all.map((error) => error.code)).size).toBe(all.length);
    for (const error of all) {
      expect(error).toBeInstanceOf(MemcachedError);
      expect(error).toBeInstanceOf(ClonepoolError);
      expect(error.name).toBe(error.constructor.name);
    }
    const servers = all.map((error) => (error as MemcachedError).server);
    expect(servers).toEqual([
      'a:1',
      'a:1',
      'a:1',
      'a:1',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'a:1',
      'a:1',
      undefined,
    ]);
    expect(new errors.ConnectionError('a:1', 'refused', { cause: 'ECONNREFUSED' }).cause).toBe('ECONNREFUSED');
    expect(new errors.InvalidValueError('bad zlib data', { cause: 'Z_DATA_ERROR' }).cause).toBe('Z_DATA_ERROR');
  });

  it("match instanceof across two loaded copies of the package, and MemcachedError only the package's own", async () => {
    // The errors file loaded twice is two copies of every class, as two installs of the package are.
    const other = await secondCopy<typeof errors>('../src/errors.ts');
    expect(other.MemcachedError).not.toBe(MemcachedError);
    const mine = oneOfEach(errors);
    oneOfEach(other).forEach((error, i) => {
      expect(error).toBeInstanceOf(MemcachedError);
      expect(error).toBeInstanceOf(mine[i]?.constructor as typeof ClonepoolError);
      expect(error).not.toBeInstanceOf(mine[(i + 1) % mine.length]?.constructor as typeof ClonepoolError);
    });
    expect(new other.TimeoutError('a:1', 'timeoutMs', 5)).toBeInstanceOf(errors.TimeoutError);
    expect(new other.TimeoutError('a:1', 'timeoutMs', 5)).not.toBeInstanceOf(errors.ConnectionError);
    expect(new errors.ClientClosedError()).toBeInstanceOf(other.MemcachedError);
    // Core's errors, a bad argument included, are clonepool errors but not memcached ones.
    expect(new InvalidArgumentError('ttl', 'an integer', -1)).not.toBeInstanceOf(MemcachedError);
    expect(new PoolClosedError()).not.toBeInstanceOf(other.MemcachedError);
    expect(new errors.InvalidArgumentError('ttl', 'an integer', -1)).toBeInstanceOf(InvalidArgumentError);
  });
});
