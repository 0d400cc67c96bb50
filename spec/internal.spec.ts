import fc from 'fast-check';
import { Request, WaitList } from '../lib/internal/waitlist';

/** A bare queue entry for the WaitList tests. */
class Waiter extends Request<'granted', 'ended'> {
  constructor() {
    super({});
  }
  granted(): void {}
  failed(): void {}
}
import { describe as describeValue, validateFunction, validateLimit, validateNonNegative } from '../lib/internal/validate';
import { FollowRun } from '../lib/internal/lifecycle';
import { taskToObservable } from '../lib/internal/task';
import { countAbortControllers } from './support/abort';

describe('argument validation', () => {
  it.each([0, -1, 1.5, NaN, '8', null, undefined])('rejects limit %p with a RangeError naming it', (value) => {
    expect(() => validateLimit('limit', value)).toThrow(RangeError);
    expect(() => validateLimit('limit', value)).toThrow(/`limit`.*integer from 1 and up or `Infinity`, got/);
  });
  it('accepts integers from 1 and Infinity', () => {
    expect(validateLimit('limit', 1)).toBe(1);
    expect(validateLimit('limit', Infinity)).toBe(Infinity);
    expect(() => validateLimit('attempts', Infinity, false)).toThrow('Expected `attempts` to be an integer from 1 and up, got `Infinity` (number)');
  });
  it('describes the received value and its type', () => {
    expect(describeValue(0)).toBe('`0` (number)');
    expect(describeValue('8')).toBe('`"8"` (string)');
    expect(describeValue(null)).toBe('`null` (null)');
  });
  it('checks functions and non-negative numbers', () => {
    expect(() => validateFunction('project', 42)).toThrow(new TypeError('Expected `project` to be a function, got `42` (number)'));
    expect(() => validateNonNegative('baseDelay', -1)).toThrow(RangeError);
    expect(validateNonNegative('baseDelay', 0)).toBe(0);
  });
});

describe('the task context (a TaskRun)', () => {
  it('creates no AbortController until the signal is read', () => {
    const count = countAbortControllers();
    try {
      const ctx = new FollowRun(() => undefined, { complete: () => undefined, error: () => undefined });
      ctx.abort();
      expect(count.created).toBe(0);
      expect(ctx.signal.aborted).toBe(true);
      expect(count.created).toBe(1);
      expect((ctx.signal.reason as Error).name).toBe('AbortError');
    } finally {
      count.restore();
    }
  });
});

describe('taskToObservable', () => {
  it('fails a factory that returns something RxJS cannot subscribe to, without aborting its signal', () => {
    let signal: AbortSignal | undefined;
    const errors: unknown[] = [];
    taskToObservable((ctx) => {
      signal = ctx.signal;
      return 42 as never;
    }).subscribe({ error: (e) => errors.push(e) });
    expect(errors[0]).toBeInstanceOf(TypeError);
    expect(signal?.aborted).toBe(false);
  });
});

describe('WaitList (priority buckets)', () => {
  it('matches a model: highest priority first, FIFO within; removal from anywhere; removeUpTo by arrival', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('push' as const), priority: fc.integer({ min: -1, max: 1 }) }),
            fc.record({ op: fc.constant('push' as const), priority: fc.constant(0) }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('upTo' as const), back: fc.nat({ max: 5 }) }),
          ),
          { maxLength: 80 },
        ),
        (ops) => {
          const list = new WaitList<Waiter>();
          let model: Waiter[] = [];
          const priorities = new Map<Waiter, number>();
          const sorted = (): Waiter[] => [...model].sort((x, y) => priorities.get(y)! - priorities.get(x)! || x.seq - y.seq);
          for (const o of ops) {
            if (o.op === 'push') {
              const w = new Waiter();
              priorities.set(w, o.priority);
              list.push(w, o.priority);
              model.push(w);
            } else if (o.op === 'remove' && model.length > 0) {
              const w = model[o.pick % model.length]!;
              list.remove(w);
              model = model.filter((m) => m !== w);
            } else if (o.op === 'upTo') {
              const upTo = list.arrivals - o.back;
              const gone = list.removeUpTo(upTo);
              expect(gone).toEqual(sorted().filter((w) => w.seq <= upTo));
              model = model.filter((w) => w.seq > upTo);
            }
            const order: Waiter[] = [];
            for (let w = list.head; w !== null; w = w.next as Waiter | null) order.push(w);
            expect(order).toEqual(sorted());
            const back: Waiter[] = [];
            for (let w = list.tail; w !== null; w = w.prev as Waiter | null) back.push(w);
            expect(back.reverse()).toEqual(order);
            expect(list.length).toBe(model.length);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
