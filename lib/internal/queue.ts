/**
 * A first-in first-out queue on a growable ring buffer: `push` and `shift` are O(1), unlike
 * `Array.prototype.shift`, which makes a long buffer quadratic to drain.
 */
export class Queue<T> {
  /** The ring; its length is always a power of two. */
  protected items: (T | undefined)[] = new Array<T | undefined>(16);
  /** Position of the first item. */
  protected first = 0;
  /** How many items are queued. */
  length = 0;

  push(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.first + this.length) & (this.items.length - 1)] = item;
    this.length++;
  }

  /** Removes and returns the first item; the queue must not be empty. */
  shift(): T {
    const item = this.items[this.first] as T;
    this.items[this.first] = undefined;
    this.first = (this.first + 1) & (this.items.length - 1);
    this.length--;
    return item;
  }

  clear(): void {
    this.items = new Array<T | undefined>(16);
    this.first = 0;
    this.length = 0;
  }

  private grow(): void {
    const bigger = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = this.items[(this.first + i) & (this.items.length - 1)];
    this.items = bigger;
    this.first = 0;
  }
}

/**
 * A {@link Queue} that also reads any item by its place (the rate store's log). A class of its
 * own so that the queues that never index (the pool's) do not bundle `at`.
 */
export class IndexedQueue<T> extends Queue<T> {
  /** The item at `index` from the front (0: the first); `index` must be below `length`. */
  at(index: number): T {
    return this.items[(this.first + index) & (this.items.length - 1)] as T;
  }
}
