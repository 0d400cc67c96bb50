import fc from 'fast-check';
import { NEVER, Observable, VirtualTimeScheduler, defer, merge, tap, firstValueFrom, lastValueFrom, of, timer, map, toArray, concat, EMPTY, throwError, catchError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DeadlineError } from '../lib/errors';
import { EventBus, ScopeEndedError, StateMissingError, boundedMap, scope, shutdownBackground, type Scope, type TaskHandle } from '../lib/index';
import { countAbortControllers } from './support/abort';

class Config {
  constructor(readonly url = 'default') {}
}
class Counter {
  value = 0;
}
class NeedsArgs {
  constructor(readonly x: number) {
    if (x === undefined) throw new Error('x is required');
  }
}
class Note {
  constructor(readonly text: string) {}
}

/** Runs `body` in a root scope and resolves with the scope's result (or rejects with its error). */
function run<R>(body: (s: Scope) => Observable<R> | Promise<R>, options?: Parameters<typeof scope>[2]): Promise<R> {
  return lastValueFrom(scope('root', body, options));
}

describe('scope: result and exit', () => {
  it('returns the body’s last value after synchronous tasks; empty body completes empty', async () => {
    const order: string[] = [];
    await expect(
      run((s) => {
        s.spawn(() => {
          order.push('task');
          return of(1);
        });
        order.push('body');
        return of('a', 'b');
      }),
    ).resolves.toBe('b');
    expect(order).toEqual(['task', 'body']);
    await expect(lastValueFrom(scope('root', () => EMPTY).pipe(toArray()))).resolves.toEqual([]);
  });

  it('waits for promise tasks and hands their results to the body', async () => {
    await expect(
      run((s) => {
        const a = s.spawn(() => Promise.resolve(2));
        const b = s.spawn(new Promise<number>((resolve) => setTimeout(() => resolve(3), 5)));
        return concat(a, b).pipe(toArray());
      }),
    ).resolves.toEqual([2, 3]);
  });

  it('does not complete before a spawned promise task settles, even when the body is done', async () => {
    let settled = false;
    await run((s) => {
      s.spawn(() => new Promise<void>((resolve) => setTimeout(() => ((settled = true), resolve()), 10)));
      return of('done');
    });
    expect(settled).toBe(true);
  });

  it('a task error fails the scope with that error, unwrapped (also when thrown synchronously by a factory)', async () => {
    const boom = new Error('boom');
    await expect(run((s) => (s.spawn(() => Promise.reject(boom)), NEVER))).rejects.toBe(boom);
    await expect(
      run((s) => {
        s.spawn(() => {
          throw boom;
        });
        return of(1);
      }),
    ).rejects.toBe(boom);
  });

  it('a body that throws, or returns no ObservableInput, fails the scope and cancels its tasks', async () => {
    const boom = new Error('body');
    await expect(
      run(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    let signal: AbortSignal | undefined;
    await expect(
      run((s) => {
        s.spawn((ctx) => ((signal = ctx.signal), NEVER));
        return undefined as never;
      }),
    ).rejects.toThrow(TypeError);
    expect(signal!.aborted).toBe(true);
  });

  it('spawn after the scope ended throws ScopeEndedError naming the path', async () => {
    let handle: Scope | undefined;
    await run((s) => s.scope('inner', (c) => ((handle = c), of(1))));
    expect(() => handle!.spawn(of(1))).toThrow(ScopeEndedError);
    expect(() => handle!.spawn(of(1))).toThrow(/root\/inner/);
  });

  it('a spawned result is shared and replays the outcome to late subscribers', async () => {
    let starts = 0;
    await run((s) => {
      const r = s.spawn(
        defer(() => {
          starts++;
          return of(1, 2, 3);
        }),
      );
      return concat(r, r, timer(1).pipe(map(() => 0)));
    });
    expect(starts).toBe(1);
  });
});

describe('scope: cancellation and AbortSignal', () => {
  it('aborts scope.signal and every task signal when unsubscribed', async () => {
    let scopeSignal: AbortSignal | undefined;
    let taskSignal: AbortSignal | undefined;
    const sub = scope('root', (s) => {
      scopeSignal = s.signal;
      s.spawn((ctx) => {
        taskSignal = ctx.signal;
        return new Promise(() => undefined);
      });
      return NEVER;
    }).subscribe();
    expect(scopeSignal!.aborted).toBe(false);
    expect(taskSignal!.aborted).toBe(false);
    sub.unsubscribe();
    expect(scopeSignal!.aborted).toBe(true);
    expect(taskSignal!.aborted).toBe(true);
    expect((taskSignal!.reason as Error).name).toBe('AbortError');
  });

  it('scope.cancel() aborts the signal and completes the scope without a value', async () => {
    let signal: AbortSignal | undefined;
    const values = await lastValueFrom(
      scope('root', (s) => {
        signal = s.signal;
        s.spawn(NEVER);
        setTimeout(() => s.cancel(), 1);
        return NEVER;
      }).pipe(toArray()),
    );
    expect(values).toEqual([]);
    expect(signal!.aborted).toBe(true);
  });

  it('a failing task aborts the signals of its siblings and of the scope', async () => {
    const signals: AbortSignal[] = [];
    await expect(
      run((s) => {
        signals.push(s.signal);
        s.spawn((ctx) => (signals.push(ctx.signal), NEVER));
        s.spawn(() => Promise.reject(new Error('x')));
        return NEVER;
      }),
    ).rejects.toThrow('x');
    expect(signals.map((sig) => sig.aborted)).toEqual([true, true]);
  });

  it('does not abort on normal completion and creates no AbortController unless a signal is read', async () => {
    const counter = countAbortControllers();
    try {
      await run((s) => (s.spawn(of(1)), s.scope('child', () => of(2))));
      expect(counter.created).toBe(0);
      let signal: AbortSignal | undefined;
      await run((s) => ((signal = s.signal), of(1)));
      expect(counter.created).toBe(1);
      expect(signal!.aborted).toBe(false);
    } finally {
      counter.restore();
    }
  });

  it('a background task is not cancelled with its scope; shutdownBackground() cancels it', async () => {
    let bgSignal: AbortSignal | undefined;
    let result: Observable<unknown> | undefined;
    await run((s) => {
      result = s.spawnBackground((ctx) => ((bgSignal = ctx.signal), NEVER));
      s.spawnBackground(() => Promise.reject(new Error('ignored by the scope')));
      return of(1);
    });
    expect(bgSignal!.aborted).toBe(false);
    const outcome = lastValueFrom(result!.pipe(toArray()));
    shutdownBackground();
    expect(bgSignal!.aborted).toBe(true);
    await expect(outcome).resolves.toEqual([]);
  });
});

describe('scope: state', () => {
  it('looks state up through parent scopes by exact constructor', async () => {
    const config = new Config('https://api');
    const found = await run(
      (s) => s.scope('a', (a) => a.scope('b', (b) => of(b.state(Config)))),
      { state: [config] },
    );
    expect(found).toBe(config);
  });

  it('creates a missing state lazily, once, cached in the scope that asked', async () => {
    await run((s) => {
      const first = s.state(Counter);
      first.value++;
      expect(s.state(Counter)).toBe(first);
      expect(s.state(Counter).value).toBe(1);
      // A child finds the parent's lazily created state.
      return s.scope('child', (c) => {
        expect(c.state(Counter)).toBe(first);
        return of(null);
      });
    });
    // A fresh run gets a fresh default.
    await run((s) => of(expect(s.state(Counter).value).toBe(0)));
  });

  it('a child’s state option overrides the parent’s for that child only', async () => {
    const outer = new Config('outer');
    const inner = new Config('inner');
    const seen = await run(
      (s) =>
        concat(
          s.scope('child', (c) => of(c.state(Config).url), { state: [inner] }),
          of(s.state(Config).url),
          s.scope('sibling', (c) => of(c.state(Config).url)),
        ).pipe(toArray()),
      { state: [outer] },
    );
    expect(seen).toEqual(['inner', 'outer', 'outer']);
  });

  it('a subclass instance does not stand in for its parent class', async () => {
    class Special extends Config {}
    await run(
      (s) => {
        const c = s.state(Config);
        expect(c).not.toBeInstanceOf(Special);
        expect(c.url).toBe('default');
        return of(0);
      },
      { state: [new Special('special')] },
    );
  });

  it('throws StateMissingError naming the type when the default constructor throws', async () => {
    await run((s) => {
      let caught: unknown;
      try {
        s.state(NeedsArgs);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StateMissingError);
      expect((caught as StateMissingError).type).toBe(NeedsArgs);
      expect((caught as Error).message).toMatch(/NeedsArgs.*x is required/);
      return of(0);
    });
  });
});

describe('scope: names, paths, buses', () => {
  it('name and path from the root', async () => {
    const seen = await lastValueFrom(
      scope('app', (app) =>
        app.scope('import', (imp) => imp.scope('batch', (batch) => of([batch.name, batch.path, imp.path, app.path]))),
      ),
    );
    expect(seen).toEqual(['batch', 'app/import/batch', 'app/import', 'app']);
  });

  it('a non-isolated child shares its parent’s bus; an isolated child has its own', async () => {
    await run((s) => {
      let shared: EventBus | undefined;
      let own: EventBus | undefined;
      const got: string[] = [];
      s.on(Note).subscribe((n) => got.push(n.text));
      return concat(
        s.scope('shared', (c) => ((shared = c.bus), c.send(new Note('from shared child')), of(0))),
        s.scope('own', (c) => ((own = c.bus), c.send(new Note('from isolated child')), of(0)), { isolated: true }),
      ).pipe(
        toArray(),
        map(() => {
          expect(shared).toBe(s.bus);
          expect(own).not.toBe(s.bus);
          expect(own!.isClosed).toBe(true); // closed when the isolated child ended
          expect(got).toEqual(['from shared child']);
        }),
      );
    });
  });

  it('two root scopes never see each other’s events', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const sync = { a: undefined as Scope | undefined, b: undefined as Scope | undefined };
    const first = scope('a', (s) => {
      sync.a = s;
      s.on(Note).subscribe((n) => a.push(n.text));
      return timer(5);
    });
    const second = scope('b', (s) => {
      sync.b = s;
      s.on(Note).subscribe((n) => b.push(n.text));
      return timer(5);
    });
    const both = Promise.all([lastValueFrom(first), lastValueFrom(second)]);
    sync.a!.send(new Note('to a'));
    sync.b!.send(new Note('to b'));
    await both;
    expect(a).toEqual(['to a']);
    expect(b).toEqual(['to b']);
  });

  it('closes its bus after the body and before waiting for tasks; subscriber loops end', async () => {
    const got: string[] = [];
    let busClosedWhileTaskRan = false;
    await run((s) => {
      s.spawn(s.on(Note).pipe(map((n) => got.push(n.text))));
      s.spawn(() => new Promise<void>((resolve) => setTimeout(() => ((busClosedWhileTaskRan = s.bus.isClosed), resolve()), 5)));
      s.send(new Note('one'));
      return of(0);
    });
    expect(got).toEqual(['one']);
    expect(busClosedWhileTaskRan).toBe(true);
  });

  it('request over the scope bus uses the scope’s bus', async () => {
    class Q {
      constructor(readonly id: number) {}
    }
    class A {
      constructor(readonly id: number) {}
    }
    await expect(
      run((s) => {
        s.on(Q).subscribe((q) => s.send(new A(q.id)));
        return s.request(new Q(7), A, (a) => a.id === 7, { timeout: 100 }).pipe(map((a) => a.id));
      }),
    ).resolves.toBe(7);
  });

  it('a child with a scheduler of its own inherits the time left, on its own clock', () => {
    // Two virtual clocks far apart: the parent's reads 1,000,000, the child's 0.
    const parentClock = new VirtualTimeScheduler();
    parentClock.frame = 1_000_000;
    const childClock = new VirtualTimeScheduler();
    let child: Scope | undefined;
    const errors: unknown[] = [];
    scope('parent', (p) => p.scope('child', (c) => ((child = c), NEVER), { scheduler: childClock }), {
      deadline: 50,
      scheduler: parentClock,
    }).subscribe({ error: (e) => errors.push(e) });
    expect(child?.deadline).toBe(50);
    childClock.flush();
    expect(errors).toEqual([expect.any(DeadlineError)]);
    expect(childClock.now()).toBe(50);
  });

  it('a deadline in the past fails without running the body', async () => {
    let ran = false;
    await expect(firstValueFrom(scope('root', () => ((ran = true), of(1)), { deadline: new Date(0) }))).rejects.toBeInstanceOf(
      DeadlineError,
    );
    expect(ran).toBe(false);
  });
});

describe('scope: deadlines on the one clock, and the one task lifecycle', () => {
  it('a DeadlineError names the scope and its budget; a child inherits its ancestor’s', () => {
    const ts = new VirtualTimeScheduler();
    const errors: unknown[] = [];
    scope('import', () => NEVER, { deadline: 30_000, scheduler: ts }).subscribe({ error: (e) => errors.push(e) });
    scope('app', (s) => s.scope('child', () => NEVER), { deadline: 10, scheduler: ts }).subscribe({ error: (e) => errors.push(e) });
    const at = new Date(ts.now() + 20);
    scope('dated', () => NEVER, { deadline: at, scheduler: ts }).subscribe({ error: (e) => errors.push(e) });
    ts.flush();
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'scope "app": not finished within 10 ms',
      `scope "dated": not finished by ${at.toISOString()}`,
      'scope "import": not finished within 30000 ms',
    ]);
    expect(errors.map((e) => (e as DeadlineError).origin)).toEqual(['scope "app"', 'scope "dated"', 'scope "import"']);
  });

  it('a deadline already past trips synchronously inside subscribe, before the body is called', () => {
    let ran = false;
    const seen: unknown[] = [];
    scope('late', () => ((ran = true), of(1)), { deadline: 0 }).subscribe({ error: (e) => seen.push(e) });
    expect(seen).toEqual([expect.any(DeadlineError)]);
    expect(ran).toBe(false);
  });

  it('a spawned task of any form is finalized before its result (and the scope) hear that it ended', async () => {
    const log: string[] = [];
    const task = (name: string) =>
      new Observable<string>((subscriber) => {
        const id = setTimeout(() => {
          subscriber.next(name);
          subscriber.complete();
        });
        return () => {
          clearTimeout(id);
          log.push(`${name} finalized`);
        };
      });
    const result = await run((s) => {
      s.spawn(task('plain')).subscribe((v) => log.push(`${v} result`));
      s.spawn(() => task('factory')).subscribe((v) => log.push(`${v} result`));
      return of('body');
    });
    log.push(`scope ${result}`);
    expect(log).toEqual(['plain finalized', 'plain result', 'factory finalized', 'factory result', 'scope body']);
  });

  it('ctx.remaining() and scope.remaining(): the time left before the deadline in effect, read now; Infinity without one', () => {
    const ts = new VirtualTimeScheduler();
    const seen: Record<string, number> = {};
    const read = (name: string, ctx: { remaining(): number }) => () => {
      seen[`${name}@${ts.now()}`] = ctx.remaining();
    };
    scope(
      'app',
      (s) => {
        read('scope', s)();
        s.spawn((ctx) => (read('task', ctx)(), timer(30, ts).pipe(tap(read('task', ctx)))));
        s.spawnBackground((ctx) => (read('background', ctx)(), EMPTY));
        return s.scope('child', (c) => (c.spawn((ctx) => (read('child task', ctx)(), EMPTY)), timer(70, ts).pipe(tap(read('scope', s)))));
      },
      { deadline: 50, scheduler: ts },
    ).subscribe({ error: () => undefined });
    scope('free', (s) => (read('no deadline', s)(), s.spawn((ctx) => (read('no deadline task', ctx)(), EMPTY))), { scheduler: ts }).subscribe();
    // A fan-out item's context is not a scope's task: no deadline, even inside a scope's task.
    scope('fan-out', (s) => s.spawn(() => of(1).pipe(boundedMap((_x, _i, ctx) => (read('fan-out item', ctx)(), EMPTY), 1))), { deadline: 50, scheduler: ts }).subscribe();
    ts.flush();
    expect(seen).toEqual({
      'scope@0': 50,
      'task@0': 50,
      'task@30': 20,
      'background@0': Infinity,
      'child task@0': 50,
      'no deadline@0': Infinity,
      'no deadline task@0': Infinity,
      'fan-out item@0': Infinity,
    });
    let handle: Scope | undefined;
    scope('outer', (s) => ((handle = s), timer(10, ts)), { deadline: 5, scheduler: ts }).subscribe({ error: () => undefined });
    ts.flush();
    expect(handle!.remaining()).toBe(0); // past: never below 0
  });

  it('rejects misspelt options, naming the known ones', () => {
    expect(() => scope('x', () => of(1), { deadlin: 5 } as never)).toThrow(
      /Unknown option `options.deadlin`; expected one of `isolated`, `state`, `deadline`, `scheduler`, `errors`, `bus`/,
    );
    expect(() => scope('x', () => of(1), { Isolated: true } as never)).toThrow(TypeError);
    expect(() => scope('x', () => of(1), [] as never)).toThrow(/`options` to be an object/);
  });
});

describe('scope: nothing left scheduled after it ends', () => {
  class Question {}
  class Answer {}

  it('unsubscribing, completing or failing cancels the deadline timer and the scope’s request timeouts', () => {
    const ts = new TestScheduler(() => undefined);
    const live = (): number => ts.actions.filter((a) => !a.closed).length;
    const asking = (s: Scope): void => void s.request(new Question(), Answer, () => true, { timeout: 20 }).subscribe({ error: () => undefined });
    const sub = scope('app', (s) => (asking(s), NEVER), { deadline: 10, scheduler: ts }).subscribe();
    expect(live()).toBe(2);
    sub.unsubscribe();
    expect(live()).toBe(0);
    scope('app', (s) => (asking(s), of(1)), { deadline: 10, scheduler: ts }).subscribe();
    expect(live()).toBe(0);
    scope('app', (s) => (asking(s), s.spawn(throwError(() => new Error('x'))), NEVER), { deadline: 10, scheduler: ts }).subscribe({ error: () => undefined });
    expect(live()).toBe(0);
    const child = scope('app', (s) => s.scope('child', () => NEVER, { deadline: 5 }), { deadline: 10, scheduler: ts }).subscribe();
    expect(live()).toBe(2);
    child.unsubscribe();
    expect(live()).toBe(0);
  });
});

describe('scope: task handles', () => {
  it('cancel() ends that task alone: its signal aborts, its result completes empty, `cancelled` is true; the scope completes', async () => {
    let signal: AbortSignal | undefined;
    let handle: TaskHandle<number> | undefined;
    const result = await run((s) => {
      handle = s.spawn((ctx) => ((signal = ctx.signal), new Promise<number>(() => undefined)));
      const other = s.spawn(of(2));
      expect(handle.cancelled).toBe(false);
      handle.cancel();
      expect(handle.cancelled).toBe(true);
      expect(signal!.aborted).toBe(true);
      return concat(handle.pipe(toArray()), other);
    });
    expect(result).toBe(2);
    handle!.cancel(); // ended: nothing happens
    expect(handle!.cancelled).toBe(true);
    await expect(lastValueFrom(handle!.pipe(toArray()))).resolves.toEqual([]);
  });

  it('tells a cancelled task from one that completed without a value, and from one that gave a value', async () => {
    await run((s) => {
      const empty = s.spawn(EMPTY);
      const valued = s.spawn(of(1));
      const cancelled = s.spawn(NEVER);
      cancelled.cancel();
      empty.cancel(); // already ended: no effect
      expect([empty.cancelled, valued.cancelled, cancelled.cancelled]).toEqual([false, false, true]);
      return of(0);
    });
  });

  it('a task cancelled by its scope ending reports `cancelled`; the handle is a shared Observable (subscribing does not restart it)', async () => {
    let starts = 0;
    let handle: TaskHandle<never> | undefined;
    await expect(
      run((s) => {
        handle = s.spawn(defer(() => (starts++, NEVER)));
        handle.subscribe();
        handle.subscribe();
        return throwError(() => new Error('body'));
      }),
    ).rejects.toThrow('body');
    expect(starts).toBe(1);
    expect(handle!.cancelled).toBe(true);
  });

  it('spawnBackground returns a handle too: cancel() stops the background task', async () => {
    let signal: AbortSignal | undefined;
    let handle: TaskHandle<never> | undefined;
    await run((s) => {
      handle = s.spawnBackground((ctx) => ((signal = ctx.signal), NEVER));
      return of(0);
    });
    expect(signal!.aborted).toBe(false);
    handle!.cancel();
    expect(signal!.aborted).toBe(true);
    expect(handle!.cancelled).toBe(true);
    shutdownBackground();
  });
});

describe('scope: errors: "all"', () => {
  const aggregate = async (p: Promise<unknown>): Promise<{ message: string; errors: unknown[] }> => {
    const error: unknown = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AggregateError);
    return { message: (error as AggregateError).message, errors: (error as AggregateError).errors };
  };

  it('collects failures of the same synchronous turn (promises rejected together) in start order, the body first', async () => {
    const e1 = new Error('one');
    const e2 = new Error('two');
    const eb = new Error('body');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const p = run(
      (s) => {
        s.spawn(() => gate.then(() => Promise.reject(e2)));
        s.spawn(() => gate.then(() => Promise.reject(e1)));
        return defer(() => gate.then(() => Promise.reject(eb)));
      },
      { errors: 'all' },
    );
    release();
    expect(await aggregate(p)).toEqual({ message: 'scope "root": 3 failures', errors: [eb, e2, e1] });
  });

  it('a synchronous failure while others are still running; later failures after the teardown are not collected', async () => {
    const e1 = new Error('one');
    let signal: AbortSignal | undefined;
    const p = run(
      (s) => {
        s.spawn(throwError(() => e1));
        s.spawn((ctx) => ((signal = ctx.signal), NEVER));
        return NEVER;
      },
      { errors: 'all' },
    );
    expect(signal!.aborted).toBe(false); // torn down at the end of the turn, not at once
    expect(await aggregate(p)).toEqual({ message: 'scope "root": 1 failure', errors: [e1] });
    expect(signal!.aborted).toBe(true);
  });

  it('a child inherits the mode; a task failing in a non-isolated child is collected by its group', async () => {
    const e1 = new Error('one');
    const e2 = new Error('two');
    const q = run(
      (s) => {
        s.spawn(throwError(() => e1));
        return s.scope('child', (c) => (c.spawn(throwError(() => e2)), NEVER));
      },
      { errors: 'all' },
    );
    expect(await aggregate(q)).toEqual({ message: 'scope "root": 2 failures', errors: [e1, e2] });
    // The child fails first: it ends with its group, so its error does not reach the group a second time (through the body).
    let childError: unknown;
    const r = run(
      (s) =>
        merge(
          s.scope('child', (c) => (c.spawn(throwError(() => e2)), NEVER)).pipe(tap({ error: (e: unknown) => (childError = e) })),
          defer(() => (s.spawn(throwError(() => e1)), NEVER)),
        ),
      { errors: 'all' },
    );
    expect(await aggregate(r)).toEqual({ message: 'scope "root": 2 failures', errors: [e2, e1] });
    // The child itself errors with its own failures, as in 'first' mode.
    expect((childError as AggregateError).errors).toEqual([e2]);
  });

  it('scope.cancel() while failing does not drop the failures: the teardown comes at once', async () => {
    const e1 = new Error('one');
    let signal: AbortSignal | undefined;
    const p = run(
      (s) => {
        s.spawn((ctx) => ((signal = ctx.signal), NEVER));
        s.spawn(throwError(() => e1));
        s.cancel();
        expect(signal!.aborted).toBe(true);
        return NEVER;
      },
      { errors: 'all' },
    );
    expect(await aggregate(p)).toEqual({ message: 'scope "root": 1 failure', errors: [e1] });
  });

  it('unsubscribing while failing cancels the teardown: nothing is reported, nothing left scheduled', () => {
    const ts = new TestScheduler(() => undefined);
    const seen: unknown[] = [];
    const sub = scope('app', (s) => (s.spawn(throwError(() => new Error('x'))), NEVER), { errors: 'all', scheduler: ts }).subscribe({
      error: (e: unknown) => seen.push(e),
    });
    expect(ts.actions.filter((a) => !a.closed).length).toBe(1);
    sub.unsubscribe();
    expect(ts.actions.filter((a) => !a.closed).length).toBe(0);
    ts.flush();
    expect(seen).toEqual([]);
  });

  it('a deadline passing while failing is added last; alone it is the DeadlineError itself', () => {
    const ts = new TestScheduler(() => undefined);
    const seen: unknown[] = [];
    const e1 = new Error('one');
    // The teardown runs at delay 0 on the scope's scheduler; a deadline of 0 trips before the body starts.
    scope('app', () => NEVER, { errors: 'all', deadline: 0, scheduler: ts }).subscribe({ error: (e: unknown) => seen.push(e) });
    expect(seen[0]).toBeInstanceOf(DeadlineError);
    // A task failing at 10, in the frame the deadline passes: the teardown (delay 0) runs after the deadline's action.
    scope('app', (s) => (s.spawn(timer(10, ts).pipe(map(() => { throw e1; }))), NEVER), { errors: 'all', deadline: 10, scheduler: ts }).subscribe({
      error: (e: unknown) => seen.push(e),
    });
    ts.flush();
    expect(seen[1]).toBeInstanceOf(AggregateError);
    expect((seen[1] as AggregateError).errors[0]).toBe(e1);
    expect((seen[1] as AggregateError).errors[1]).toBeInstanceOf(DeadlineError);
    expect(seen).toHaveLength(2);
  });
});

describe('scope: errors: "all" (fast-check, virtual time)', () => {
  it('fails at the earliest failing frame with every failure of that frame, in spawn order; else completes when the last task ends', () => {
    const spec = fc.record({ delay: fc.integer({ min: 1, max: 20 }), fails: fc.boolean() });
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 6 }), (tasks) => {
        const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
        const events: { frame: number; error?: unknown; complete?: true }[] = [];
        let sources: ReturnType<TestScheduler['createColdObservable']>[] = [];
        ts.run(({ cold }) => {
          sources = tasks.map((t, i) => cold(`${t.delay}ms ${t.fails ? '#' : '(v|)'}`, { v: i }, `e${i}`));
          scope('app', (s) => (sources.forEach((source) => s.spawn(source)), EMPTY), { errors: 'all' }).subscribe({
            error: (error: unknown) => events.push({ frame: ts.now(), error }),
            complete: () => events.push({ frame: ts.now(), complete: true }),
          });
        });
        const frame = Math.min(...tasks.map((t) => (t.fails ? t.delay : Infinity)));
        expect(events).toHaveLength(1);
        if (frame === Infinity) {
          expect(events[0]).toEqual({ frame: Math.max(...tasks.map((t) => t.delay)), complete: true });
        } else {
          expect(events[0]!.frame).toBe(frame);
          expect((events[0]!.error as AggregateError).errors).toEqual(tasks.flatMap((t, i) => (t.fails && t.delay === frame ? [`e${i}`] : [])));
        }
        const end = events[0]!.frame;
        sources.forEach((source, i) => expect(source.subscriptions).toEqual([{ subscribedFrame: 0, unsubscribedFrame: Math.min(end, tasks[i]!.delay) }]));
      }),
    );
  });
});

describe('scope: bad input throws at call time', () => {
  it('names the value and what was expected', () => {
    expect(() => scope('x', 'body' as never)).toThrow(/`body` to be a function, got `"body"` \(string\)/);
    expect(() => scope('', () => of(1))).toThrow(/`name` to be a non-empty string/);
    expect(() => scope(3 as never, () => of(1))).toThrow(/`name`.*`3` \(number\)/);
    expect(() => scope('x', () => of(1), { deadline: -5 })).toThrow(/`options.deadline`.*`-5` \(number\)/);
    expect(() => scope('x', () => of(1), { deadline: NaN })).toThrow(RangeError);
    expect(() => scope('x', () => of(1), { deadline: new Date('nope') })).toThrow(/valid Date/);
    expect(() => scope('x', () => of(1), { deadline: '5' as never })).toThrow(/`options.deadline`.*"5"/);
    expect(() => scope('x', () => of(1), { isolated: 'yes' as never })).toThrow(/`options.isolated` to be a boolean/);
    expect(() => scope('x', () => of(1), { state: {} as never })).toThrow(/`options.state` to be an array/);
    expect(() => scope('x', () => of(1), { state: [1] as never })).toThrow(/`options.state\[0\]` to be an object.*`1` \(number\)/);
    expect(() => scope('x', () => of(1), { scheduler: 5 as never })).toThrow(/`options.scheduler` to be a scheduler.*`5` \(number\)/);
    expect(() => scope('x', () => of(1), { errors: 'some' as never })).toThrow('Expected `options.errors` to be one of `"first"`, `"all"`, got `"some"` (string)');
    expect(() => scope('x', () => of(1), { errors: true as never })).toThrow(/`options.errors` to be one of.*`true` \(boolean\)/);
    expect(() => scope('x', () => of(1), { errors: null as never })).toThrow(/`options.errors` to be one of.*`null`/);
  });

  it('state(Type), spawn(task) and nested scopes check their arguments', async () => {
    await run((s) => {
      expect(() => s.state('Config' as never)).toThrow(/`Type` to be a class.*"Config"/);
      expect(() => s.spawn(undefined as never)).toThrow(/`task`.*`undefined`/);
      // Not ObservableInputs: refused when spawned, not left to fail the scope once started.
      expect(() => s.spawn(5 as never)).toThrow(/`task` to be a task.*`5` \(number\)/);
      expect(() => s.spawn({} as never)).toThrow(/`task` to be a task.*`\{\}` \(object\)/);
      expect(() => s.spawnBackground(7 as never)).toThrow(/`task`.*`7` \(number\)/);
      expect(() => s.request(new Config(), Config, () => true, 5 as never)).toThrow(/`options` to be an object.*`5` \(number\)/);
      expect(() => s.scope('child', 1 as never)).toThrow(/`body` to be a function/);
      return of(0);
    });
  });
});

/** Behaviours a mutation run of `scope.ts` found unasserted (each test fails when its line is broken). */
describe('scope: what the mutation run found unasserted', () => {
  it('a task that completes empty gives a result that completes empty, not with undefined', async () => {
    expect(await run((s) => s.spawn(EMPTY).pipe(toArray()))).toStrictEqual([]);
  });

  it("errors: 'all': a body that completes after a task failed in the same turn does not complete the scope", async () => {
    const boom = new Error('task failed');
    const result = run(
      (s) => {
        s.spawn(throwError(() => boom));
        return of('done');
      },
      { errors: 'all' },
    );
    await expect(result).rejects.toThrow(new AggregateError([boom], 'scope "root": 1 failure'));
    await expect(result).rejects.toMatchObject({ errors: [boom] });
  });

  it("errors: 'all' without a scheduler errors at the end of the turn, in a microtask, before a timer set earlier", async () => {
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 0);
    scope('root', (s) => (s.spawn(throwError(() => new Error('x'))), NEVER), { errors: 'all' }).subscribe({ error: () => order.push('error') });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['error', 'timer']);
  });

  it('a non-isolated child that is cancelled or fails leaves its parent’s bus open', async () => {
    const got: string[] = [];
    const out = await run((s) => {
      s.on(Note).subscribe((n) => got.push(n.text));
      return concat(
        s.scope('cancelled', (c) => defer(() => (c.cancel(), NEVER))),
        s.scope('failing', () => throwError(() => new Error('child failed'))).pipe(catchError(() => EMPTY)),
        defer(() => {
          s.send(new Note('after'));
          return of(got);
        }),
      );
    });
    expect(out).toEqual(['after']);
  });

  it('a nested scope subscribed after its group ended cannot spawn: ScopeEndedError naming the group', async () => {
    let late: Observable<string> | undefined;
    let spawned = 0;
    await run((s) => {
      late = s.scope('late', (c) => (c.spawn(() => (spawned++, of(1))), of('x')));
      return of(0);
    });
    await expect(lastValueFrom(late!)).rejects.toThrow(new ScopeEndedError('root'));
    expect(spawned).toBe(0);
  });

  it('scope.request with options null is refused by the bus with its message, not a TypeError about null', () => {
    return run((s) => {
      expect(() => s.request(new Note('q'), Note, () => true, null as never)).toThrow(/`options`/);
      return of(0);
    });
  });

  it("errors: 'all': cancel() on a failing child joined to its group completes the child at once; the group still reports the failure", async () => {
    const log: string[] = [];
    const result = run(
      (s) =>
        s
          .scope('child', (c) =>
            defer(() => {
              c.spawn(throwError(() => new Error('task failed')));
              c.cancel();
              log.push('after cancel');
              return NEVER;
            }),
          )
          .pipe(tap({ complete: () => log.push('child complete'), error: () => log.push('child error') })),
      { errors: 'all' },
    );
    await expect(result).rejects.toThrow(new AggregateError([], 'scope "root": 1 failure'));
    expect(log).toEqual(['child complete', 'after cancel']);
  });

  it("errors: 'all' child under a 'first' group, subscribed outside the group's body: a task failure ends both, each its own way", async () => {
    let child: Observable<never> | undefined;
    const log: string[] = [];
    scope('root', (s) => {
      child = s.scope('child', (c) => defer(() => (c.spawn(throwError(() => new Error('task failed'))), NEVER)), { errors: 'all' });
      return NEVER;
    }).subscribe({ error: (e: Error) => log.push(`root: ${e.message}`) });
    child!.subscribe({ error: (e: Error) => log.push(`child: ${e.message}`), complete: () => log.push('child complete') });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log).toEqual(['root: task failed', 'child: scope "root/child": 1 failure']);
  });

  it('a background task that ended is released: nothing keeps its task alive', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('node:v8').setFlagsFromString('--expose-gc');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const gc = require('node:vm').runInNewContext('gc') as () => void;
    let ref: WeakRef<object> | undefined;
    await run((s) => {
      const task = () => of(1);
      ref = new WeakRef(task);
      return s.spawnBackground(task);
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(ref!.deref()).toBeUndefined();
  });
});
