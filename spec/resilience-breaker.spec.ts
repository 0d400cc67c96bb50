import { NEVER, Observable, Subject, VirtualTimeScheduler, defer, firstValueFrom, of, queueScheduler, take, throwError, toArray } from 'rxjs';
import { BrokenCircuitError } from '../lib/errors';
import { CircuitBreaker, type CircuitState } from '../lib/resilience/breaker';
import { circuitBreaker } from '../lib/resilience/circuitBreaker';
import * as lib from '../lib/index';

const boom = new Error('boom');
const failing = throwError(() => boom);

/** Subscribes `source` and records how it ended. */
function outcome(source: Observable<unknown>): { error?: unknown; completed: boolean } {
  const result: { error?: unknown; completed: boolean } = { completed: false };
  source.subscribe({ error: (e) => (result.error = e), complete: () => (result.completed = true) });
  return result;
}

describe('CircuitBreaker: bad input is refused at creation, naming the value', () => {
  it.each([
    [{ threshold: 0 }, RangeError, /`options.threshold` to be an integer from 1 and up, got `0` \(number\)/],
    [{ threshold: 1.5 }, RangeError, /`options.threshold`.*`1.5`/],
    [{ threshold: Infinity }, RangeError, /`options.threshold`.*`Infinity`/],
    [{ ratio: 0, window: 10 }, RangeError, /`options.ratio` to be a number above 0 and at most 1, got `0` \(number\)/],
    [{ ratio: 1.2, window: 10 }, RangeError, /`options.ratio`.*`1.2`/],
    [{ ratio: -0.5, window: 10 }, RangeError, /`options.ratio`.*`-0.5`/],
    [{ ratio: NaN, window: 10 }, RangeError, /`options.ratio`.*`NaN`/],
    [{ ratio: 0.5, window: 0 }, RangeError, /`options.window` to be a finite number above 0, got `0` \(number\)/],
    [{ ratio: 0.5, window: -5 }, RangeError, /`options.window`.*`-5`/],
    [{ ratio: 0.5, window: Infinity }, RangeError, /`options.window`.*`Infinity`/],
    [{ ratio: 0.5, window: 10, minimumCalls: 0 }, RangeError, /`options.minimumCalls`.*`0`/],
    [{ ratio: 0.5, window: 10, minimumCalls: Infinity }, RangeError, /`options.minimumCalls` to be an integer from 1 and up, got `Infinity`/],
    [{ halfOpenMax: 0 }, RangeError, /`options.halfOpenMax` to be an integer from 1 and up, got `0` \(number\)/],
    [{ halfOpenAfter: -1 }, RangeError, /`options.halfOpenAfter`.*`-1`/],
    [{ halfOpenAfter: '5s' }, TypeError, /`options.halfOpenAfter` to be a delay in ms or a backoff.*`"5s"` \(string\)/],
    [{ halfOpenAfter: null }, TypeError, /`options.halfOpenAfter` to be a delay in ms or a backoff.*`null`/],
    [{ halfOpenAfter: { baseDelay: -1 } }, RangeError, /`options.halfOpenAfter.baseDelay`.*`-1`/],
    [{ halfOpenAfter: { base: 100 } }, TypeError, /Unknown option `options.halfOpenAfter.base`; expected one of `baseDelay`, `maxDelay`, `jitter`, `random`/],
    [{ threshold: 3, ratio: 0.5, window: 10 }, TypeError, /either `options.threshold`.*or `options.ratio`.*not both; got threshold `3` \(number\) and ratio `0.5` \(number\)/],
    [{ ratio: 0.5 }, TypeError, /`options.ratio` `0.5` \(number\) needs `options.window`/],
    [{ window: 10 }, TypeError, /`options.window` belongs to the ratio rule.*`10` \(number\)/],
    [{ minimumCalls: 3 }, TypeError, /`options.minimumCalls` belongs to the ratio rule/],
    [{ treshold: 5 }, TypeError, /Unknown option `options.treshold`; expected one of `threshold`, `ratio`, `window`/],
    [{ isFailure: true }, TypeError, /`options.isFailure` to be a function, got `true` \(boolean\)/],
    [{ scheduler: {} }, TypeError, /`options.scheduler` to be a scheduler/],
    [{ name: 42 }, TypeError, /`options.name` to be a string, got `42` \(number\)/],
  ])('%j', (options, type, message) => {
    expect(() => new CircuitBreaker(options as never)).toThrow(type);
    expect(() => new CircuitBreaker(options as never)).toThrow(message);
  });

  it('refuses a non-object', () => {
    expect(() => new CircuitBreaker(5 as never)).toThrow(/Expected `options` to be an object, got `5` \(number\)/);
  });

  it('circuitBreaker() refuses what is not a breaker', () => {
    expect(() => circuitBreaker({} as never)).toThrow(/Expected `breaker` to be a CircuitBreaker, got `\{\}` \(object\)/);
    expect(() => circuitBreaker(null as never)).toThrow(TypeError);
  });

  it('run() refuses what is not a task', () => {
    expect(() => new CircuitBreaker().run(42 as never)).toThrow(/Expected `task` to be a task/);
  });

  it('defaults: threshold 5, halfOpenAfter 10000, one trial', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ scheduler });
    for (let i = 0; i < 4; i++) outcome(failing.pipe(circuitBreaker(b)));
    expect(b.state).toBe('closed');
    outcome(failing.pipe(circuitBreaker(b)));
    expect(b.state).toBe('open');
    expect(b.retryAt).toBe(10_000);
  });
});

describe('CircuitBreaker: what marbles cannot see', () => {
  it('BrokenCircuitError names the breaker and when it may close', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ name: 'payments', threshold: 1, halfOpenAfter: 3000, scheduler });
    outcome(failing.pipe(circuitBreaker(b)));
    const { error } = outcome(of(1).pipe(circuitBreaker(b)));
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(error).toMatchObject({ name: 'BrokenCircuitError', breaker: 'payments', state: 'open', retryAt: 3000, retryAfter: 3000 });
    expect((error as Error).message).toBe('Circuit breaker "payments" is open: failing fast without calling the source; it lets a trial through in 3000 ms');
  });

  it('an unnamed breaker says "Circuit breaker"; a half-open one with its slots taken says so', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 0, scheduler });
    outcome(failing.pipe(circuitBreaker(b)));
    const trial = NEVER.pipe(circuitBreaker(b)).subscribe();
    const { error } = outcome(of(1).pipe(circuitBreaker(b)));
    expect((error as Error).message).toBe('Circuit breaker is half-open and every trial slot is taken: failing fast; it closes or re-opens when a trial ends');
    expect(error).toMatchObject({ breaker: undefined, state: 'halfOpen', retryAt: null, retryAfter: null });
    trial.unsubscribe();
  });

  it('with nobody listening, no timer is left: open → half-open happens on the next subscription or read', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 50, scheduler });
    outcome(failing.pipe(circuitBreaker(b)));
    expect(scheduler.actions.length).toBe(0);
    scheduler.schedule(() => undefined, 50);
    scheduler.flush();
    expect(b.state).toBe('halfOpen');
    expect(outcome(of(1).pipe(circuitBreaker(b))).completed).toBe(true);
    expect(b.state).toBe('closed');
  });

  it('with a state$ listener the timer runs, and unsubscribing the last listener removes it', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 50, scheduler });
    const seen: CircuitState[] = [];
    const listening = b.state$.subscribe((s) => seen.push(s));
    outcome(failing.pipe(circuitBreaker(b)));
    expect(scheduler.actions.length).toBe(1);
    listening.unsubscribe();
    expect(scheduler.actions.filter((a) => !a.closed).length).toBe(0);
    expect(seen).toEqual(['closed', 'open']);
  });

  it('retryAt is null unless the circuit is open', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 50, scheduler });
    expect(b.retryAt).toBeNull();
    outcome(failing.pipe(circuitBreaker(b)));
    expect(b.retryAt).toBe(50);
    scheduler.schedule(() => undefined, 50);
    scheduler.flush();
    expect(b.state).toBe('halfOpen');
    expect(b.retryAt).toBeNull();
  });

  it('one listener of several leaving keeps the timer: the others still see halfOpen on time', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 50, scheduler });
    const seen: CircuitState[] = [];
    b.state$.subscribe((s) => seen.push(s));
    const other = b.state$.subscribe();
    outcome(failing.pipe(circuitBreaker(b)));
    other.unsubscribe();
    scheduler.flush();
    expect(seen).toEqual(['closed', 'open', 'halfOpen']);
  });

  it('listeners subscribing while open share one timer: when the last leaves, none is left', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 50, scheduler });
    outcome(failing.pipe(circuitBreaker(b)));
    const first = b.state$.subscribe();
    const second = b.state$.subscribe();
    expect(scheduler.actions.filter((a) => !a.closed).length).toBe(1);
    first.unsubscribe();
    second.unsubscribe();
    expect(scheduler.actions.filter((a) => !a.closed).length).toBe(0);
  });

  it('a listener unsubscribed by another during a send stays removed (no timer kept for it)', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 50, scheduler });
    const seenByB: CircuitState[] = [];
    let listenerB: { unsubscribe(): void } | undefined;
    const listenerA = b.state$.subscribe((s) => {
      if (s === 'open') listenerB?.unsubscribe();
    });
    listenerB = b.state$.subscribe((s) => seenByB.push(s));
    outcome(failing.pipe(circuitBreaker(b)));
    expect(seenByB).toEqual(['closed']);
    listenerA.unsubscribe();
    expect(scheduler.actions.filter((a) => !a.closed).length).toBe(0);
  });

  it('a listener subscribed during a send after a nested transition was queued gets that state once', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 0, scheduler });
    const late: CircuitState[] = [];
    b.state$.subscribe((s) => {
      if (s !== 'halfOpen') return;
      outcome(of(1).pipe(circuitBreaker(b))); // the trial succeeds: 'closed' is queued behind this send
      b.state$.subscribe((t) => late.push(t)); // sees 'closed' on subscription; the queued send must skip it
    });
    outcome(failing.pipe(circuitBreaker(b)));
    scheduler.flush();
    expect(late).toEqual(['closed']);
  });

  it('state$ sends the current state to a late subscriber, then transitions only', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 10, scheduler });
    outcome(failing.pipe(circuitBreaker(b)));
    const seen: CircuitState[] = [];
    b.state$.subscribe((s) => seen.push(s));
    scheduler.flush();
    expect(seen).toEqual(['open', 'halfOpen']);
  });

  it('a state$ listener that causes another transition: every listener sees every transition, in order', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 0, scheduler });
    const first: CircuitState[] = [];
    const second: CircuitState[] = [];
    // On 'halfOpen' the first listener runs a trial that succeeds synchronously: halfOpen → closed inside the send.
    b.state$.subscribe((s) => {
      first.push(s);
      if (s === 'halfOpen') outcome(of(1).pipe(circuitBreaker(b)));
    });
    b.state$.subscribe((s) => second.push(s));
    outcome(failing.pipe(circuitBreaker(b)));
    scheduler.flush();
    expect(first).toEqual(['closed', 'open', 'halfOpen', 'closed']);
    expect(second).toEqual(['closed', 'open', 'halfOpen', 'closed']);
  });

  it('a listener subscribing during a send gets the current state once, not the queued ones again', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 10, scheduler });
    const late: CircuitState[] = [];
    b.state$.subscribe((s) => {
      if (s === 'open') b.state$.subscribe((t) => late.push(t));
    });
    outcome(failing.pipe(circuitBreaker(b)));
    scheduler.flush();
    expect(late).toEqual(['open', 'halfOpen']);
  });

  it('a synchronous scheduler (queueScheduler, halfOpenAfter 0): state$ still sends open before halfOpen', () => {
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 0, scheduler: queueScheduler });
    const seen: CircuitState[] = [];
    b.state$.subscribe((s) => seen.push(s));
    outcome(failing.pipe(circuitBreaker(b)));
    expect(seen).toEqual(['closed', 'open', 'halfOpen']);
    expect(b.state).toBe('halfOpen');
  });

  it('a synchronous source stops as soon as the consumer is satisfied, and that cancellation counts as neither', () => {
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 10, scheduler: new VirtualTimeScheduler() });
    let emitted = 0;
    const endless = new Observable<number>((s) => {
      for (let i = 0; !s.closed; i++) {
        emitted++;
        s.next(i);
      }
    });
    let values: number[] = [];
    endless.pipe(circuitBreaker(b), take(3), toArray()).subscribe((v) => (values = v));
    expect(values).toEqual([0, 1, 2]);
    expect(emitted).toBe(3);
    expect(b.state).toBe('closed');
  });

  it('a synchronous source that completes inside subscribe counts as a success (closes a half-open circuit)', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 0, scheduler });
    outcome(failing.pipe(circuitBreaker(b)));
    expect(b.state).toBe('halfOpen');
    expect(outcome(of(1).pipe(circuitBreaker(b))).completed).toBe(true);
    expect(b.state).toBe('closed');
  });

  it('a throwing isFailure errors the output with what it threw and counts as a failure', () => {
    const b = new CircuitBreaker({
      threshold: 1,
      scheduler: new VirtualTimeScheduler(),
      isFailure: () => {
        throw new TypeError('bad predicate');
      },
    });
    expect(outcome(failing.pipe(circuitBreaker(b))).error).toEqual(new TypeError('bad predicate'));
    expect(b.state).toBe('open');
  });

  it('run(factory): the factory is not called while open; its signal aborts when a trial is cancelled', async () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: 5, scheduler });
    let calls = 0;
    const failingTask = b.run(() => {
      calls++;
      return Promise.reject(boom);
    });
    await expect(firstValueFrom(failingTask)).rejects.toBe(boom);
    await expect(firstValueFrom(failingTask)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(1);
    scheduler.schedule(() => undefined, 5);
    scheduler.flush();
    let signal: AbortSignal | undefined;
    const trial = b.run(({ signal: s }) => ((signal = s), new Subject<number>())).subscribe();
    expect(signal?.aborted).toBe(false);
    trial.unsubscribe();
    expect(signal?.aborted).toBe(true);
    expect(b.state).toBe('halfOpen'); // the cancelled trial counted as neither
    await expect(firstValueFrom(b.run(() => Promise.resolve(7)))).resolves.toBe(7);
    expect(b.state).toBe('closed');
  });

  it('a backoff whose random misbehaves still opens the circuit, waiting without jitter', () => {
    jest.useFakeTimers();
    try {
      const scheduler = new VirtualTimeScheduler();
      const b = new CircuitBreaker({ threshold: 1, halfOpenAfter: { baseDelay: 100, jitter: 0.5, random: () => 7 }, scheduler });
      outcome(failing.pipe(circuitBreaker(b)));
      expect(b.state).toBe('open');
      expect(b.retryAt).toBe(100);
      expect(() => jest.runAllTimers()).toThrow(/`random\(\)` to return a number from 0 to 1, got `7`/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('defer inside: each subscription is admitted on its own', () => {
    const b = new CircuitBreaker({ threshold: 2, scheduler: new VirtualTimeScheduler() });
    let starts = 0;
    const call = defer(() => (starts++, failing)).pipe(circuitBreaker(b));
    for (let i = 0; i < 5; i++) outcome(call);
    expect(starts).toBe(2);
  });

  it('ratio rule: the log keeps what is in the window (plus a bounded slack), however many calls ended', () => {
    const scheduler = new VirtualTimeScheduler();
    const b = new CircuitBreaker({ ratio: 0.5, window: 10, scheduler });
    for (let t = 1; t <= 20_000; t++) {
      scheduler.schedule(() => outcome(of(t).pipe(circuitBreaker(b))), t);
    }
    scheduler.flush();
    const internals = b as unknown as { log: unknown[]; head: number };
    expect(internals.log.length - internals.head).toBe(10); // the calls that ended in (now - 10, now]
    expect(internals.log.length).toBeLessThan(2 * 1024 + 10);
  });

  it('is exported from the package entry', () => {
    expect(lib.CircuitBreaker).toBe(CircuitBreaker);
    expect(lib.circuitBreaker).toBe(circuitBreaker);
    expect(lib.BrokenCircuitError).toBe(BrokenCircuitError);
  });
});
