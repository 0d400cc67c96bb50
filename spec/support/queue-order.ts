/**
 * What the limiters' property tests check about their queue, kept in one place: each request
 * ends exactly one way, and no request is served while a waiter of a higher priority, or an older
 * one of its own, still waits.
 */
export class QueueModel {
  /** Waiting requests by index: their priority and arrival number. */
  private readonly waiting = new Map<number, { priority: number; seq: number }>();
  private arrivals = 0;
  /** Each request's outcomes, by index (exactly one each, in the end). */
  readonly outcomes: string[][];

  constructor(count: number) {
    this.outcomes = Array.from({ length: count }, () => []);
  }

  /** Request `i` asks, with `priority`. */
  arrive(i: number, priority: number): void {
    this.waiting.set(i, { priority, seq: ++this.arrivals });
  }

  isWaiting(i: number): boolean {
    return this.waiting.has(i);
  }

  /** Request `i` is served now: nobody still waiting should have gone first. */
  granted(i: number): void {
    const me = this.waiting.get(i)!;
    for (const [j, other] of this.waiting) {
      if (j !== i) expect(other.priority > me.priority || (other.priority === me.priority && other.seq < me.seq)).toBe(false);
    }
    this.end(i, 'granted');
  }

  /** Request `i` ended without being served (`outcome`: timed out, cancelled, an error). */
  end(i: number, outcome: string): void {
    this.waiting.delete(i);
    this.outcomes[i]!.push(outcome);
  }

  /** Every request ended exactly once, one of `kinds`. */
  expectEachOnce(kinds: readonly string[] = ['granted', 'timed out', 'cancelled']): void {
    for (const o of this.outcomes) {
      expect(o).toHaveLength(1);
      expect(kinds).toContain(o[0]);
    }
  }
}
