/**
 * A FIFO queue on a ring buffer: push, shift and unshift are O(1), where
 * `Array.prototype.shift` is O(n) and turns a burst of 100k operations quadratic.
 *
 * ```
 *  items: [ . . h→ a b c d ←t . . ]   head = index of the oldest, size = 4
 * ```
 * The capacity is a power of two, so an index wraps with `& mask`; it doubles
 * when full and never shrinks (a connection's burst size is its steady state).
 */
export class Ring<T> {
  #items: (T | undefined)[] = new Array(16);
  #mask = 15;
  #head = 0;
  #size = 0;

  /** How many items are queued. */
  get size(): number {
    return this.#size;
  }

  /** Appends at the tail. */
  push(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#items[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /** Puts an item in front of all others. */
  unshift(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = item;
    this.#size++;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let it be collected
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  #grow(): void {
    const capacity = (this.#mask + 1) * 2;
    const items: (T | undefined)[] = new Array(capacity);
    for (let i = 0; i < this.#size; i++) items[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
