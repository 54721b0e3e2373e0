/**
 * Makes a seeded pseudo-random number generator (mulberry32): each call
 * returns the next number in [0, 1). The same seed gives the same numbers, so
 * a random test that prints its seed can be replayed exactly.
 *
 * @param seed - Any integer; only its low 32 bits count.
 *
 * @example
 * ```ts
 * import { seededRandom } from '@clonepool/core/testing';
 *
 * const seed = Number(process.env.CLONEPOOL_SEED ?? Date.now() % 2 ** 31);
 * const first = seededRandom(seed);
 * const replay = seededRandom(seed);
 * const draws = [first(), first(), first()];
 * console.log(draws.every((n) => n >= 0 && n < 1), draws.every((n) => n === replay()));
 * // → true true
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
