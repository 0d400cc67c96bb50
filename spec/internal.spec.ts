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
