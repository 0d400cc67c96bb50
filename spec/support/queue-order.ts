/**
 * What the limiters' property tests check about their queue, kept in one place: each request
 * ends exactly one way, and no request is served while a waiter of a higher priority, or an older
 * one of its own, still waits.
 *
 * The model is told of each event from inside the limiter's callbacks (`onGranted`, `onError`),
 * so it never throws there: a throw inside a grant callback is the consumer's error, which the
 * limiter reports asynchronously, so the property would fail later on a symptom (and the report
 * would escape the test). It records what it saw and `expectEachOnce()` asserts it all at the end.
 *
 * A request that leaves the queue on its own (`ticket.cancel()`, an unsubscription) must be
 * ended in the model **before** it leaves: leaving may grant the next waiter synchronously, in the
 * same call (the rate limiter retries the store at once when its head leaves).
 */
export class QueueModel {
  /** Waiting requests by index: their priority and arrival number. */
  private readonly waiting = new Map<number, { priority: number; seq: number }>();
  private arrivals = 0;
  /** Each request's outcomes, by index (exactly one each, in the end). */
  readonly outcomes: string[][];
  /** Grants out of order: `i` granted while `j` (higher priority, or older of the same) waited. */
  readonly overtaken: string[] = [];

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
    const me = this.waiting.get(i);
    if (me === undefined) this.overtaken.push(`${i} granted while not waiting`);
    else {
      for (const [j, other] of this.waiting) {
        if (j !== i && (other.priority > me.priority || (other.priority === me.priority && other.seq < me.seq))) {
          this.overtaken.push(`${i} (priority ${me.priority}) granted while ${j} (priority ${other.priority}, arrived ${other.seq < me.seq ? 'before' : 'after'}) waited`);
        }
      }
    }
    this.end(i, 'granted');
  }

  /** Request `i` ended without being served (`outcome`: timed out, cancelled, an error). */
  end(i: number, outcome: string): void {
    this.waiting.delete(i);
    this.outcomes[i]!.push(outcome);
  }

  /** Nobody was granted out of order, and every request ended exactly once, one of `kinds`. */
  expectEachOnce(kinds: readonly string[] = ['granted', 'timed out', 'cancelled']): void {
    expect(this.overtaken).toEqual([]);
    for (const o of this.outcomes) {
      expect(o).toHaveLength(1);
      expect(kinds).toContain(o[0]);
    }
  }
}
