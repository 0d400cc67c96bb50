import fc from 'fast-check';
import { NEVER, concat, mergeMap, of, take, throwError, timer, type Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { BrokenCircuitError } from '../lib/errors';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from '../lib/resilience/breaker';
import { circuitBreaker } from '../lib/resilience/circuitBreaker';

/**
 * How one call ends, `duration` ms after it starts: completes, emits a value and is then
 * unsubscribed by `take(1)`, fails (an error `isFailure` accepts), errors with an error
 * `isFailure` rejects, or is unsubscribed before anything arrived.
 */
type Kind = 'ok' | 'value' | 'fail' | 'neutral' | 'cancel';
interface Call {
  readonly start: number;
  readonly duration: number;
  readonly kind: Kind;
}
interface Config {
  readonly rule: { threshold: number } | { ratio: number; window: number; minimumCalls: number };
  readonly halfOpenAfter: number;
  readonly halfOpenMax: number;
}
/** What happened to each call at its start, and the breaker's transitions with their times. */
interface Trace {
  readonly admissions: string[];
  readonly transitions: [number, CircuitState][];
}

class Neutral extends Error {}

// Times never tie across kinds of event: starts are ≡ 0 (mod 4), ends ≡ 1, open → half-open
// ≡ 3 (an end + a delay ≡ 2), and a window ≡ 2 keeps every entry off the window's edge. Ties
// among starts or among ends resolve in start order, in the model and under TestScheduler alike.
const config: fc.Arbitrary<Config> = fc.record({
  rule: fc.oneof(
    fc.record({ threshold: fc.integer({ min: 1, max: 4 }) }),
    fc.record({
      ratio: fc.constantFrom(0.25, 0.5, 0.75, 1),
      window: fc.integer({ min: 0, max: 10 }).map((k) => 4 * k + 2),
      minimumCalls: fc.integer({ min: 1, max: 4 }),
    }),
  ),
  halfOpenAfter: fc.integer({ min: 0, max: 8 }).map((k) => 4 * k + 2),
  halfOpenMax: fc.integer({ min: 1, max: 3 }),
});
const calls: fc.Arbitrary<Call[]> = fc
  .array(
    fc.record({
      start: fc.integer({ min: 0, max: 40 }).map((k) => 4 * k),
      duration: fc.integer({ min: 0, max: 6 }).map((j) => 4 * j + 1),
      kind: fc.constantFrom<Kind>('ok', 'value', 'fail', 'neutral', 'cancel'),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((cs) => [...cs].sort((a, b) => a.start - b.start));

/**
 * The reference model: the rules of the README, applied to the calls' events in time order,
 * with plain arrays and no timers (the open → half-open step happens when time reaches it).
 */
function model(cfg: Config, cs: readonly Call[]): Trace {
  type Permit = { epoch: number; trial: boolean } | null;
  let state = 'closed' as CircuitState;
  let epoch = 0;
  let inRow = 0;
  let ended: { t: number; failed: boolean }[] = [];
  let trials = 0;
  let until = 0;
  const admissions: string[] = [];
  const transitions: [number, CircuitState][] = [[0, 'closed']];
  const permits: Permit[] = [];
  const enter = (to: CircuitState, t: number): void => {
    state = to;
    epoch++;
    inRow = 0;
    ended = [];
    trials = 0;
    if (to === 'open') until = t + cfg.halfOpenAfter;
    transitions.push([t, to]);
  };
  const events = cs
    .flatMap((c, i) => [
      { t: c.start, i, start: true },
      { t: c.start + c.duration, i, start: false },
    ])
    .sort((a, b) => a.t - b.t || a.i - b.i);
  for (const { t, i, start } of events) {
    if (state === 'open' && t >= until) enter('halfOpen', until);
    if (start) {
      if (state === 'closed') (permits[i] = { epoch, trial: false }), admissions.push('admitted');
      else if (state === 'open') (permits[i] = null), admissions.push(`open until ${until}`);
      else if (trials < cfg.halfOpenMax) trials++, (permits[i] = { epoch, trial: true }), admissions.push('trial');
      else (permits[i] = null), admissions.push('half-open, full');
      continue;
    }
    const permit = permits[i];
    if (!permit || permit.epoch !== epoch) continue;
    const kind = cs[i]!.kind;
    const result = kind === 'cancel' ? 'cancel' : kind === 'fail' ? 'failure' : 'success';
    if (permit.trial) {
      if (result === 'cancel') trials--;
      else enter(result === 'success' ? 'closed' : 'open', t);
      continue;
    }
    if (result === 'cancel') continue;
    if ('threshold' in cfg.rule) {
      inRow = result === 'failure' ? inRow + 1 : 0;
      if (inRow >= cfg.rule.threshold) enter('open', t);
    } else {
      const { ratio, window, minimumCalls } = cfg.rule;
      ended.push({ t, failed: result === 'failure' });
      const recent = ended.filter((e) => e.t > t - window);
      const failures = recent.filter((e) => e.failed).length;
      if (result === 'failure' && recent.length >= minimumCalls && failures / recent.length >= ratio) enter('open', t);
    }
  }
  if (state === 'open') transitions.push([until, 'halfOpen']);
  return { admissions, transitions };
}

/** The real breaker under TestScheduler; `listen` subscribes to `state$` (which arms its timer). */
function run(cfg: Config, cs: readonly Call[], listen: boolean): Trace {
  const ts = new TestScheduler(() => undefined);
  const admissions: string[] = [];
  const transitions: [number, CircuitState][] = [];
  ts.run(() => {
    const options: CircuitBreakerOptions = {
      ...cfg.rule,
      halfOpenAfter: cfg.halfOpenAfter,
      halfOpenMax: cfg.halfOpenMax,
      isFailure: (e) => !(e instanceof Neutral),
      scheduler: ts,
    };
    const b = new CircuitBreaker(options);
    if (listen) b.state$.subscribe((s) => transitions.push([ts.now(), s]));
    cs.forEach((c, i) => {
      const at = timer(c.duration, ts);
      const source: Observable<unknown> =
        c.kind === 'ok'
          ? at
          : c.kind === 'value'
            ? concat(at, NEVER).pipe(circuitBreaker(b), take(1))
            : c.kind === 'fail'
              ? at.pipe(mergeMap(() => throwError(() => new Error('down'))))
              : c.kind === 'neutral'
                ? at.pipe(mergeMap(() => throwError(() => new Neutral('404'))))
                : NEVER;
      const call = c.kind === 'value' ? source : source.pipe(circuitBreaker(b));
      ts.schedule(() => {
        let rejected: BrokenCircuitError | null = null;
        const trial = b.state === 'halfOpen';
        const sub: Subscription = call.subscribe({
          error: (e) => {
            if (e instanceof BrokenCircuitError) rejected = e;
          },
        });
        admissions[i] =
          rejected === null
            ? trial
              ? 'trial'
              : 'admitted'
            : (rejected as BrokenCircuitError).state === 'open'
              ? `open until ${(rejected as BrokenCircuitError).retryAt}`
              : 'half-open, full';
        if (c.kind === 'cancel' && rejected === null) ts.schedule(() => sub.unsubscribe(), c.duration);
      }, c.start);
    });
  });
  return { admissions, transitions };
}

describe('CircuitBreaker property (fast-check, virtual time)', () => {
  it('over random calls, outcomes and times, admissions and transitions follow the reference model', () => {
    fc.assert(
      fc.property(config, calls, (cfg, cs) => {
        const expected = model(cfg, cs);
        const actual = run(cfg, cs, true);
        expect(actual).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('with nobody listening to state$ (no timer), every call is admitted or turned away the same way', () => {
    fc.assert(
      fc.property(config, calls, (cfg, cs) => {
        expect(run(cfg, cs, false).admissions).toEqual(model(cfg, cs).admissions);
      }),
      { numRuns: 200 },
    );
  });
});
