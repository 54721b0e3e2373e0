const INITIAL_CAPACITY = 16;

/**
 * A first-in first-out queue on a growable ring, so taking from the head is
 * O(1) where `Array.prototype.shift` is O(n) on a large array.
 *
 * ```
 *   slots:  [ . . a b c d . . ]      capacity is a power of two
 *                 ^head   ^head + length (the next push)
 *   shift() reads at head and moves it right; push() writes after the last
 *   item; both wrap around with `& mask`. A full ring doubles, unrolled.
 * ```
 *
 * Internal to the package: the pool keeps its idle clients here.
 *
 * @typeParam T - The items.
 */
export class RingBuffer<T> {
  #slots: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY);
  #mask = INITIAL_CAPACITY - 1;
  #head = 0;
  #length = 0;

  /** Items in the queue. */
  get length(): number {
    return this.#length;
  }

  /** Appends `item` at the tail. */
  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#slots[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the head; the caller checks `length` first. */
  shift(): T {
    const slot = this.#head;
    const item = this.#slots[slot] as T;
    // Drop the reference so a closed client is not kept alive by the ring.
    this.#slots[slot] = undefined;
    this.#head = (slot + 1) & this.#mask;
    this.#length--;
    return item;
  }

  #grow(): void {
    const capacity = (this.#mask + 1) * 2;
    const slots = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) slots[i] = this.#slots[(this.#head + i) & this.#mask];
    this.#slots = slots;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
