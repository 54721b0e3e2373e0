import { InvalidArgumentError } from './errors.js';

/**
 * A client that can make a copy of itself: same configuration, its own
 * connections. Pools fill themselves with clones of one master client.
 *
 * A client whose copy method has another name fits with a one-line adapter;
 * for ioredis, whose `duplicate()` is a clone, pass `{ clone: () => redis.duplicate() }`.
 *
 * @typeParam C - The type of the clones.
 *
 * @example
 * ```ts
 * import type { Clonable } from '@clonepool/core';
 *
 * class Counter implements Clonable<Counter> {
 *   constructor(readonly start: number) {}
 *   clone(): Counter {
 *     return new Counter(this.start);
 *   }
 * }
 * console.log(new Counter(7).clone().start);
 * // → 7
 * ```
 */
export interface Clonable<C> {
  /** Makes a new client with this one's configuration and its own connections; may be async. */
  clone(): C | Promise<C>;
}

/**
 * Checks that `master` can be cloned, at a pool's boundary: an object (or
 * function) with a `clone()` method. Throws {@link InvalidArgumentError}
 * otherwise, with a hint for clients whose copy method has another name.
 *
 * @param master - What the caller gave as the client to clone.
 * @param name - The argument's name, for the message.
 *
 * @example
 * ```ts
 * import { checkClonable } from '@clonepool/core';
 *
 * checkClonable({ clone: () => ({}) });
 * try {
 *   checkClonable({ duplicate: () => ({}) });
 * } catch (error) {
 *   console.log((error as { code: string }).code);
 * }
 * // → ERR_INVALID_ARG_VALUE
 * ```
 */
export function checkClonable<C>(master: unknown, name = 'master'): asserts master is Clonable<C> {
  if (
    (typeof master !== 'object' && typeof master !== 'function') ||
    master === null ||
    typeof (master as { clone?: unknown }).clone !== 'function'
  ) {
    throw new InvalidArgumentError(
      name,
      'a client with a clone() method (see Clonable; for ioredis, { clone: () => redis.duplicate() })',
      master,
    );
  }
}

type Closer = (client: object) => unknown;

function method(client: object, key: PropertyKey): Closer | undefined {
  const fn = (client as Record<PropertyKey, unknown>)[key];
  return typeof fn === 'function' ? (c) => Reflect.apply(fn, c, []) : undefined;
}

/**
 * Closes any client the way it supports, and waits for it: `Symbol.asyncDispose`,
 * else `close()`, `quit()`, `end()`, `disconnect()`, or `Symbol.dispose`, the first
 * one it has. A client with none of these is left alone. Pools use it to shut
 * clients down without knowing their type; errors from the client propagate.
 *
 * @param client - The client to close.
 *
 * @example
 * ```ts
 * import { closeClient } from '@clonepool/core';
 *
 * const socketLike = {
 *   quit: async () => console.log('quit called'),
 * };
 * await closeClient(socketLike);
 * // → quit called
 * ```
 */
export async function closeClient(client: unknown): Promise<void> {
  if ((typeof client !== 'object' && typeof client !== 'function') || client === null) return;
  const close =
    method(client, Symbol.asyncDispose) ??
    method(client, 'close') ??
    method(client, 'quit') ??
    method(client, 'end') ??
    method(client, 'disconnect') ??
    method(client, Symbol.dispose);
  await close?.(client);
}
