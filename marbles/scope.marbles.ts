import { TestScheduler } from 'rxjs/testing';
import { NEVER, catchError, concat, defer, throwError, ignoreElements, map, mergeMap, of, takeUntil, tap } from 'rxjs';
import { DeadlineError } from '../lib/errors';
import { deadlineError } from '../lib/internal/clock';
import { BusClosedError, EventBus, scope, shutdownBackground, type Scope } from '../lib/index';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** An `AggregateError` as a value: jest's equality ignores its (non-enumerable) `errors`. */
const aggregated = catchError((error: unknown) =>
  error instanceof AggregateError ? of({ message: error.message, errors: error.errors }) : throwError(() => error),
);

class Tick {
  constructor(readonly n: number) {}
}

describe('scope (marbles)', () => {
  it('waits for a slow spawned task, then emits the body’s last value', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('-----a|');
      const body = cold('-x|');
      const result = scope('app', (s) => {
        s.spawn(task);
        return body;
      });
      expectObservable(result).toBe('------(x|)');
      expectSubscriptions(task.subscriptions).toBe('^-----!');
      expectSubscriptions(body.subscriptions).toBe('^-!');
    });
  });

  it('emits the spawned task’s result to the body, shared (the task runs once)', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('--a--b|');
      const result = scope('app', (s) => {
        const r = s.spawn(task);
        return concat(r, r.pipe(map((v) => v.toUpperCase())));
      });
      expectObservable(result).toBe('------(B|)');
      expectSubscriptions(task.subscriptions).toBe('^-----!');
    });
  });

  it('cancels every spawned task when the body errors', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-----a|');
      const b = cold('--------b|');
      const body = cold('--#', undefined, new Error('body'));
      const result = scope('app', (s) => {
        s.spawn(a);
        s.spawn(b);
        return body;
      });
      expectObservable(result).toBe('--#', undefined, new Error('body'));
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
      expectSubscriptions(body.subscriptions).toBe('^-!');
    });
  });

  it('a task error at 10ms cancels a 10s sibling and the body at 10ms; the scope errors with it, unwrapped', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('task failed');
      const failing = cold('10ms #', undefined, boom);
      const sibling = cold('10s a|');
      const body = cold('20s x|');
      const result = scope('app', (s) => {
        s.spawn(failing);
        s.spawn(sibling);
        return body;
      });
      expectObservable(result).toBe('10ms #', undefined, boom);
      expectSubscriptions(failing.subscriptions).toBe('^ 9ms !');
      expectSubscriptions(sibling.subscriptions).toBe('^ 9ms !');
      expectSubscriptions(body.subscriptions).toBe('^ 9ms !');
    });
  });

  it('handle.cancel() cancels that task alone: its source is unsubscribed, its result completes empty, the scope and its siblings go on', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('--------a|');
      const sibling = cold('------b|');
      const trigger = cold('---c|');
      let slowResult = of<string>();
      const result = scope('app', (s) => {
        const handle = s.spawn(slow);
        slowResult = handle;
        s.spawn(sibling);
        return trigger.pipe(tap(() => handle.cancel()));
      });
      expectObservable(result).toBe('-------(c|)');
      expectObservable(defer(() => slowResult)).toBe('---|');
      expectSubscriptions(slow.subscriptions).toBe('^--!');
      expectSubscriptions(sibling.subscriptions).toBe('^------!');
      expectSubscriptions(trigger.subscriptions).toBe('^---!');
    });
  });

  it('errors: "all" — two tasks failing in the same frame: an AggregateError of both, in start order; the body and siblings are cancelled in that frame', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = new Error('one');
      const e2 = new Error('two');
      const second = cold('---#', undefined, e2);
      const first = cold('---#', undefined, e1);
      const sibling = cold('------a|');
      const body = cold('--------x|');
      const result = scope(
        'app',
        (s) => {
          s.spawn(first);
          s.spawn(sibling);
          s.spawn(second);
          return body;
        },
        { errors: 'all' },
      );
      expectObservable(result.pipe(aggregated)).toBe('---(e|)', { e: { message: 'scope "app": 2 failures', errors: [e1, e2] } });
      expectSubscriptions(first.subscriptions).toBe('^--!');
      expectSubscriptions(second.subscriptions).toBe('^--!');
      expectSubscriptions(sibling.subscriptions).toBe('^--!');
      expectSubscriptions(body.subscriptions).toBe('^--!');
    });
  });

  it('errors: "all" — failures in different frames: the first ends the scope in its frame, with an AggregateError of one; "first" (default) errors with the first failure unwrapped', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = new Error('one');
      const a = cold('--#', undefined, e1);
      const b = cold('---#', undefined, new Error('two'));
      const c = cold('--#', undefined, e1);
      const d = cold('--#', undefined, new Error('two'));
      const all = scope('app', (s) => { s.spawn(a); s.spawn(b); return NEVER; }, { errors: 'all' });
      const first = scope('app', (s) => { s.spawn(c); s.spawn(d); return NEVER; });
      expectObservable(all.pipe(aggregated)).toBe('--(e|)', { e: { message: 'scope "app": 1 failure', errors: [e1] } });
      expectObservable(first).toBe('--#', undefined, e1);
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
      expectSubscriptions(c.subscriptions).toBe('^-!');
      expectSubscriptions(d.subscriptions).toBe('^-!');
    });
  });

  it('unsubscribing cancels the body and every task', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-----a|');
      const body = cold('--------x|');
      const result = scope('app', (s) => {
        s.spawn(a);
        return body;
      });
      expectObservable(result, '^--!').toBe('---');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(body.subscriptions).toBe('^--!');
    });
  });

  it('scope.cancel() ends the body and tasks and completes the scope without a value', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-------a|');
      const trigger = cold('---c|');
      const result = scope('app', (s) => {
        s.spawn(a);
        return trigger.pipe(tap(() => s.cancel()));
      });
      expectObservable(result).toBe('---|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(trigger.subscriptions).toBe('^--!');
    });
  });

  it('a background task outlives the scope and its failure does not fail the scope', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bg = cold('-----a|');
      const failingBg = cold('-#', undefined, new Error('bg'));
      const body = cold('-x|');
      let bgResult = of<string>();
      let failingResult = of<string>();
      const result = scope('app', (s) => {
        bgResult = s.spawnBackground(bg);
        failingResult = s.spawnBackground(failingBg);
        return body;
      });
      expectObservable(result).toBe('--(x|)');
      expectObservable(
        of(0).pipe(mergeMap(() => concat(bgResult, failingResult.pipe(ignoreElements())))),
      ).toBe('------(a#)', undefined, new Error('bg'));
      expectSubscriptions(bg.subscriptions).toBe('^-----!');
      expectSubscriptions(failingBg.subscriptions).toBe('^!');
      expectSubscriptions(body.subscriptions).toBe('^-!');
    });
  });

  it('shutdownBackground() cancels running background tasks; their results complete empty', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const bg = cold('--------a|');
      const shutdown = hot('---s|');
      let bgResult = of<string>();
      const result = scope('app', (s) => {
        bgResult = s.spawnBackground(bg);
        return of('x');
      });
      expectObservable(result).toBe('(x|)');
      expectObservable(shutdown.pipe(tap(() => shutdownBackground()), ignoreElements())).toBe('----|');
      expectObservable(of(0).pipe(mergeMap(() => bgResult))).toBe('---|');
      expectSubscriptions(bg.subscriptions).toBe('^--!');
      expectSubscriptions(shutdown.subscriptions).toBe('^---!');
    });
  });

  it('fails with a DeadlineError when its deadline passes, cancelling body and tasks', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--------a|');
      const body = cold('-------------x|');
      const result = scope(
        'app',
        (s) => {
          s.spawn(a);
          return body;
        },
        { deadline: 5 },
      );
      expectObservable(result).toBe('-----#', undefined, deadlineError(5, { origin: 'scope "app"', within: 5 }));
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(body.subscriptions).toBe('^----!');
    });
  });

  it('a Date deadline is compared with the scheduler’s clock; a met deadline does nothing', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('---x|');
      expectObservable(scope('app', () => body, { deadline: new Date(10) })).toBe('----(x|)');
      expectSubscriptions(body.subscriptions).toBe('^---!');
    });
  });

  it('children inherit the nearest deadline; the child fails with DeadlineError at the parent’s deadline', () => {
    let seen: number | undefined;
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('----------y|');
      const result = scope(
        'app',
        (s) =>
          s.scope('child', (c) => {
            seen = c.deadline;
            return inner;
          }),
        { deadline: 4 },
      );
      expectObservable(result).toBe('----#', undefined, deadlineError(4, { origin: 'scope "app"', within: 4 }));
      expectSubscriptions(inner.subscriptions).toBe('^---!');
      // A child's own earlier deadline wins over the inherited one.
      const early = cold('----------z|');
      const nested = scope('app', (s) => s.scope('child', () => early, { deadline: 2 }), { deadline: 8 });
      expectObservable(nested).toBe('--#', undefined, deadlineError(2, { origin: 'scope "app/child"', within: 2 }));
      expectSubscriptions(early.subscriptions).toBe('^-!');
    });
    expect(seen).toBe(4);
  });

  it('a task failing in a non-isolated child fails the nearest isolated scope too', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('child task');
      const failing = cold('---#', undefined, boom);
      const parentTask = cold('----------a|');
      const childBody = cold('--------c|');
      const parentBody = cold('------------p|');
      const result = scope('app', (s) => {
        s.spawn(parentTask);
        // The child runs detached from the parent's body (background subscription), yet its task's
        // failure still reaches the parent's group.
        s.scope('child', (c) => {
          c.spawn(failing);
          return childBody;
        }).subscribe({ error: () => undefined });
        return parentBody;
      });
      expectObservable(result).toBe('---#', undefined, boom);
      expectSubscriptions(failing.subscriptions).toBe('^--!');
      expectSubscriptions(parentTask.subscriptions).toBe('^--!');
      expectSubscriptions(childBody.subscriptions).toBe('^--!');
      expectSubscriptions(parentBody.subscriptions).toBe('^--!');
    });
  });

  it('a task spawned in a non-isolated child belongs to the isolated group: the group waits for it and cancels it', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const childTask = cold('------a|');
      const parentBody = cold('--p|');
      const detachedChild = (s: Scope) =>
        s.scope('child', (c) => (c.spawn(childTask), of('c'))).subscribe({ error: () => undefined });
      const waits = scope('app', (s) => (detachedChild(s), parentBody));
      expectObservable(waits).toBe('-------(p|)');
      const cancelled = scope('app', (s) => (detachedChild(s), parentBody));
      expectObservable(cancelled, '^---!').toBe('----');
      expectSubscriptions(childTask.subscriptions).toBe(['^------!', '^---!']);
      expectSubscriptions(parentBody.subscriptions).toBe(['^--!', '^--!']);
    });
  });

  it('a non-isolated child that is unsubscribed, cancelled or past its deadline releases its tasks: the group does not wait for them', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const unsubscribedTask = cold('----------a|');
      const stop = hot('---s|');
      const unsubscribed = scope('app', (s) =>
        s.scope('child', (c) => (c.spawn(unsubscribedTask), NEVER)).pipe(takeUntil(stop)),
      );
      expectObservable(unsubscribed).toBe('---|');
      expectSubscriptions(unsubscribedTask.subscriptions).toBe('^--!');
      expectSubscriptions(stop.subscriptions).toBe('^--!');

      const cancelledTask = cold('----------a|');
      const trigger = cold('--c|');
      const cancelled = scope('app', (s) =>
        concat(s.scope('child', (c) => (c.spawn(cancelledTask), trigger.pipe(tap(() => c.cancel())))), of('p')),
      );
      expectObservable(cancelled).toBe('--(p|)');
      expectSubscriptions(cancelledTask.subscriptions).toBe('^-!');
      expectSubscriptions(trigger.subscriptions).toBe('^-!');

      const lateTask = cold('----------a|');
      const late = scope('app', (s) =>
        s.scope('child', (c) => (c.spawn(lateTask), NEVER), { deadline: 4 }).pipe(catchError(() => of('caught'))),
      );
      expectObservable(late).toBe('----(c|)', { c: 'caught' });
      expectSubscriptions(lateTask.subscriptions).toBe('^---!');
    });
  });

  it('a task failing in a detached non-isolated child fails the group, also when the group waits only for that child’s tasks', () => {
    const boom = new Error('child task');
    const childErrors: unknown[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('---#', undefined, boom);
      const sibling = cold('----------a|');
      const result = scope('app', (s) => {
        s.scope('child', (c) => (c.spawn(failing), c.spawn(sibling), of('c'))).subscribe({ error: (e: unknown) => childErrors.push(e) });
        return of('p');
      });
      expectObservable(result).toBe('---#', undefined, boom);
      expectSubscriptions(failing.subscriptions).toBe('^--!');
      expectSubscriptions(sibling.subscriptions).toBe('^--!');
    });
    expect(childErrors).toEqual([boom]);
  });

  it('a detached non-isolated child whose group ends is cancelled with it: it completes without a value', () => {
    const seen: string[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('group task');
      const groupTask = cold('---#', undefined, boom);
      const childTask = cold('----------a|');
      const parentBody = cold('-p|');
      const result = scope('app', (s) => {
        s.spawn(groupTask);
        s.scope('child', (c) => (c.spawn(childTask), of('c'))).subscribe({
          next: (v) => seen.push(v),
          error: () => seen.push('error'),
          complete: () => seen.push('complete'),
        });
        return parentBody;
      });
      expectObservable(result).toBe('---#', undefined, boom);
      expectSubscriptions(groupTask.subscriptions).toBe('^--!');
      expectSubscriptions(childTask.subscriptions).toBe('^--!');
      expectSubscriptions(parentBody.subscriptions).toBe('^-!');
    });
    expect(seen).toEqual(['complete']);
  });

  it('closes its bus when the body ends, so a subscriber-loop task ends instead of hanging the scope', () => {
    const seen: number[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const ticks = cold('-a-b|', { a: new Tick(1), b: new Tick(2) });
      const slow = cold('------s|');
      const result = scope('app', (s) => {
        s.spawn(s.on(Tick).pipe(tap((t) => seen.push(t.n))));
        s.spawn(slow);
        return ticks.pipe(tap((t) => s.send(t)));
      });
      expectObservable(result).toBe('-------(b|)', { b: new Tick(2) });
      expectSubscriptions(ticks.subscriptions).toBe('^---!');
      expectSubscriptions(slow.subscriptions).toBe('^------!');
    });
    expect(seen).toEqual([1, 2]);
  });

  it('a task that sends after the body ended fails with BusClosedError', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const later = cold('---t|', { t: new Tick(1) });
      const body = cold('-|');
      const result = scope('app', (s) => {
        s.spawn(later.pipe(tap((t) => s.send(t))));
        return body;
      });
      expectObservable(result).toBe('---#', undefined, new BusClosedError());
      expectSubscriptions(later.subscriptions).toBe('^--!');
      expectSubscriptions(body.subscriptions).toBe('^!');
    });
  });

  it('each subscription runs the body afresh', () => {
    let runs = 0;
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('--x|');
      const result = scope('app', () => {
        runs++;
        return body;
      });
      expectObservable(result).toBe('---(x|)');
      expectObservable(result, '-^').toBe('----(x|)');
      expectSubscriptions(body.subscriptions).toBe(['^--!', '-^--!']);
      expect(runs).toBe(0); // nothing runs before the scheduler flushes
    });
    expect(runs).toBe(2);
  });
});

describe('EventBus.request (marbles)', () => {
  class Ask {
    constructor(readonly id: number) {}
  }
  class Answer {
    constructor(
      readonly id: number,
      readonly text: string,
    ) {}
  }

  it('emits the first matching response and completes; times out with DeadlineError', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bus = new EventBus();
      const responder = cold('--a-b-c|', { a: new Answer(2, 'no'), b: new Answer(1, 'yes'), c: new Answer(1, 'late') });
      const answers = responder.pipe(tap((a) => bus.send(a)), ignoreElements());
      expectObservable(answers).toBe('-------|');
      const request = bus.request(new Ask(1), Answer, (a) => a.id === 1).pipe(map((a) => a.text));
      expectObservable(request).toBe('----(y|)', { y: 'yes' });
      const timedOut = bus.request(new Ask(3), Answer, (a) => a.id === 3, { timeout: 3 });
      expectObservable(timedOut).toBe('---#', undefined, new DeadlineError(3, 'bus.request(Answer): no matching response within 3 ms', 'bus.request(Answer)'));
      expectSubscriptions(responder.subscriptions).toBe('^------!');
    });
  });

  it('a timeout already passed (0) fails at once, before the request is sent or responses are watched', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bus = new EventBus();
      const asked: number[] = [];
      bus.on(Ask).subscribe((a) => asked.push(a.id));
      const responder = cold('a|', { a: new Answer(1, 'yes') });
      const answers = responder.pipe(tap((a) => bus.send(a)), ignoreElements());
      expectObservable(answers).toBe('-|');
      const timedOut = bus.request(new Ask(1), Answer, () => true, { timeout: 0 });
      expectObservable(timedOut).toBe('#', undefined, new DeadlineError(0, 'bus.request(Answer): no matching response within 0 ms', 'bus.request(Answer)'));
      expectSubscriptions(responder.subscriptions).toBe('^!');
      expect(asked).toEqual([]);
    });
  });

  it('the timeout is disarmed when the response wins, and when the subscriber leaves', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bus = new EventBus();
      const responder = cold('--a|', { a: new Answer(1, 'yes') });
      const answers = responder.pipe(tap((a) => bus.send(a)), ignoreElements());
      expectObservable(answers).toBe('---|');
      const request = bus.request(new Ask(1), Answer, () => true, { timeout: 5 }).pipe(map((a) => a.text));
      expectObservable(request).toBe('--(y|)', { y: 'yes' });
      const left = bus.request(new Ask(2), Answer, (a) => a.id === 2, { timeout: 5 });
      expectObservable(left, '^-!').toBe('---');
      expectSubscriptions(responder.subscriptions).toBe('^--!');
    });
  });
});
