const kClonepoolError = Symbol.for('clonepool.error');
const kFamily = Symbol.for('clonepool.error.family');

/**
 * Base class of every error clonepool throws or rejects with.
 *
 * Each error carries a stable `code` in Node's style, so callers can branch on
 * `error.code` without caring which class or which installed copy produced it.
 *
 * @example
 * ```ts
 * import { ClonepoolError, PoolExhaustedError } from '@clonepool/core';
 *
 * const error = new PoolExhaustedError(4);
 * console.log(error instanceof ClonepoolError, error.code);
 * // → true ERR_POOL_EXHAUSTED
 * ```
 */
export class ClonepoolError extends Error {
  /**
   * Set on a package's base class (such as `'@clonepool/memcached'` on
   * `MemcachedError`) so that `instanceof` that base matches the package's
   * errors only, from any installed copy. Classes with a `code` match by code.
   */
  declare static readonly family?: string;
  /** The stable code of this kind of error, such as `ERR_POOL_EXHAUSTED`. */
  readonly code: string;

  /**
   * @param code - The stable code, `ERR_` and upper snake case.
   * @param message - What happened and what to do about it.
   * @param options - The standard `cause`.
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, kClonepoolError, { value: true });
    const { family } = new.target as typeof ClonepoolError;
    if (family !== undefined) Object.defineProperty(this, kFamily, { value: family });
  }

  /**
   * `instanceof` that also recognises errors from another installed copy of
   * a clonepool package (an app that both imports and requires one loads two,
   * and two packages can each bring their own): every clonepool error carries
   * a registered-symbol brand. On a class with a `code` it matches that code;
   * on a package's base class (with a `family`, no `code`) it matches that
   * package's errors; on `ClonepoolError` itself, every clonepool error.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(kClonepoolError in value)) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against, whose code or family must match.
    const { code, family } = this as { readonly code?: string; readonly family?: string };
    if (code !== undefined) return (value as { code?: unknown }).code === code;
    if (family !== undefined) return (value as { [kFamily]?: unknown })[kFamily] === family;
    return true;
  }
}

/**
 * A non-blocking reserve found every client lent out (pylibmc raises `queue.Empty`).
 * Code `ERR_POOL_EXHAUSTED`.
 *
 * @example
 * ```ts
 * import { PoolExhaustedError } from '@clonepool/core';
 *
 * const error = new PoolExhaustedError(4);
 * console.log(error.code, error instanceof PoolExhaustedError);
 * // → ERR_POOL_EXHAUSTED true
 * ```
 */
export class PoolExhaustedError extends ClonepoolError {
  /** `ERR_POOL_EXHAUSTED` */
  static readonly code = 'ERR_POOL_EXHAUSTED';
  /** @param size - How many clients the pool holds, all of them lent out. */
  constructor(size: number) {
    super(
      PoolExhaustedError.code,
      `All ${size} clients of the pool are reserved. Reserve with { block: true } to wait for one, or give the pool more clients.`,
    );
  }
}

/** A blocking reserve waited `timeoutMs` without getting a client. Code `ERR_RESERVE_TIMEOUT`. *
 * @example
 * ```ts
 * import { ReserveTimeoutError } from '@clonepool/core';
 *
 * const error = new ReserveTimeoutError(250);
 * console.log(error.code, error instanceof ReserveTimeoutError);
 * // → ERR_RESERVE_TIMEOUT true
 * ```
 */
export class ReserveTimeoutError extends ClonepoolError {
  /** `ERR_RESERVE_TIMEOUT` */
  static readonly code = 'ERR_RESERVE_TIMEOUT';
  /** @param timeoutMs - How long the reserve waited. */
  constructor(timeoutMs: number) {
    super(
      ReserveTimeoutError.code,
      `No client was released within timeoutMs (${timeoutMs} ms). Raise timeoutMs, give the pool more clients, or look for leases held too long.`,
    );
  }
}

/**
 * A reserve was given up because its `signal` aborted; `cause` is the signal's reason.
 * Code `ERR_RESERVE_ABORTED`.
 *
 * @example
 * ```ts
 * import { ReserveAbortedError } from '@clonepool/core';
 *
 * const controller = new AbortController();
 * controller.abort('request closed');
 * const error = new ReserveAbortedError(controller.signal.reason);
 * console.log(error.code, error.cause);
 * // → ERR_RESERVE_ABORTED request closed
 * ```
 */
export class ReserveAbortedError extends ClonepoolError {
  /** `ERR_RESERVE_ABORTED` */
  static readonly code = 'ERR_RESERVE_ABORTED';
  /** @param reason - The `AbortSignal`'s reason. */
  constructor(reason: unknown) {
    super(ReserveAbortedError.code, 'The reserve was aborted by its signal before a client was free.', {
      cause: reason,
    });
  }
}

/** The pool was closed: reserving from it, or waiting in it, is over. Code `ERR_POOL_CLOSED`. *
 * @example
 * ```ts
 * import { PoolClosedError } from '@clonepool/core';
 *
 * const error = new PoolClosedError();
 * console.log(error.code, error instanceof PoolClosedError);
 * // → ERR_POOL_CLOSED true
 * ```
 */
export class PoolClosedError extends ClonepoolError {
  /** `ERR_POOL_CLOSED` */
  static readonly code = 'ERR_POOL_CLOSED';
  constructor() {
    super(PoolClosedError.code, 'The pool is closed; make a new pool to reserve clients again.');
  }
}

/** A lease's client was used after the lease was released or discarded. Code `ERR_LEASE_RELEASED`. *
 * @example
 * ```ts
 * import { LeaseReleasedError } from '@clonepool/core';
 *
 * const error = new LeaseReleasedError();
 * console.log(error.code, error instanceof LeaseReleasedError);
 * // → ERR_LEASE_RELEASED true
 * ```
 */
export class LeaseReleasedError extends ClonepoolError {
  /** `ERR_LEASE_RELEASED` */
  static readonly code = 'ERR_LEASE_RELEASED';
  constructor() {
    super(
      LeaseReleasedError.code,
      'This lease was already released; its client may now belong to someone else. Reserve again to get a client.',
    );
  }
}

/**
 * An argument or an option has a value the API cannot take, or an options
 * object has a name the API does not know. Nothing was done. Code
 * `ERR_INVALID_ARG_VALUE`, as Node names a bad argument or option value. The
 * message names the argument or option, what it takes and what it got.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from '@clonepool/core';
 *
 * console.log(new InvalidArgumentError('timeoutMs', 'a number >= 0', -1, 'option').message);
 * // → Option timeoutMs must be a number >= 0; got -1.
 * const error = InvalidArgumentError.unknownOption('timeout', ['block', 'timeoutMs', 'signal'], 'reserve()');
 * console.log(error.code, error.message);
 * // → ERR_INVALID_ARG_VALUE Option timeout is not one reserve() knows; its options are block, timeoutMs, signal.
 * ```
 */
export class InvalidArgumentError extends ClonepoolError {
  /** `ERR_INVALID_ARG_VALUE` */
  static readonly code = 'ERR_INVALID_ARG_VALUE';
  /**
   * @param name - The argument's or option's name, such as `ttl` or `timeoutMs`.
   * @param expected - What it takes, such as `a finite number >= 0`.
   * @param actual - What it was given; strings over 40 characters and bytes are shown by length only.
   * @param kind - Whether `name` is a positional `argument` or an `option` (a field of an options object).
   */
  constructor(name: string, expected: string, actual: unknown, kind: 'argument' | 'option' = 'argument') {
    super(
      InvalidArgumentError.code,
      `${kind === 'option' ? 'Option' : 'Argument'} ${name} must be ${expected}; got ${describe(actual)}.`,
    );
  }

  /**
   * The error for an options object holding a name the API does not know, so a
   * misspelt option never turns a feature off silently.
   *
   * @param name - The unknown name.
   * @param known - The names the API takes.
   * @param where - What took the options, such as `reserve()` or `new ClientPool()`.
   */
  static unknownOption(name: string, known: Iterable<string>, where: string): InvalidArgumentError {
    const error = new InvalidArgumentError(name, '', undefined, 'option');
    error.message = `Option ${name} is not one ${where} knows; its options are ${[...known].join(', ')}.`;
    // Captured again so that the stack's first line carries the message above.
    Error.captureStackTrace(error, InvalidArgumentError.unknownOption);
    return error;
  }
}

/** Describes a value for an error message without printing secrets or huge data. */
function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
