import { getEventListeners } from 'node:events';
import { NEVER, Observable, Subject, firstValueFrom, of, take, toArray } from 'rxjs';
import { takeUntilAborted } from '../lib/resilience/takeUntilAborted';
import * as lib from '../lib/index';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('takeUntilAborted: bad input is refused at creation', () => {
  it.each([undefined, null, {}, 'signal', new AbortController()])('signal %p', (bad) => {
    expect(() => takeUntilAborted(bad as never)).toThrow(TypeError);
    expect(() => takeUntilAborted(bad as never)).toThrow(/Expected `signal` to be an AbortSignal, got/);
  });

  it('a misspelt option or an unknown mode', () => {
    const { signal } = new AbortController();
    expect(() => takeUntilAborted(signal, { mod: 'complete' } as never)).toThrow(/Unknown option `options.mod`; expected one of `mode`/);
    expect(() => takeUntilAborted(signal, { mode: 'stop' } as never)).toThrow(/Expected `options.mode` to be one of `"error"`, `"complete"`, got `"stop"` \(string\)/);
    expect(() => takeUntilAborted(signal, 'complete' as never)).toThrow(/Expected `options` to be an object/);
  });
});

describe('takeUntilAborted: listeners and signals', () => {
  it('adds one abort listener per subscription and removes it on unsubscribe, on completion and on error', () => {
    const controller = new AbortController();
    const { signal } = controller;
    const a = NEVER.pipe(takeUntilAborted(signal)).subscribe();
    const b = NEVER.pipe(takeUntilAborted(signal)).subscribe();
    expect(listeners(signal)).toBe(2);
    a.unsubscribe();
    expect(listeners(signal)).toBe(1);
    b.unsubscribe();
    expect(listeners(signal)).toBe(0);

    const done = new Subject<number>();
    done.pipe(takeUntilAborted(signal)).subscribe({ error: () => undefined });
    expect(listeners(signal)).toBe(1);
    done.complete();
    expect(listeners(signal)).toBe(0);

    const failing = new Subject<number>();
    failing.pipe(takeUntilAborted(signal)).subscribe({ error: () => undefined });
    failing.error(new Error('x'));
    expect(listeners(signal)).toBe(0);
  });

  it('a thousand short streams on one long-lived signal leave no listener behind', async () => {
    const { signal } = new AbortController();
    for (let i = 0; i < 1000; i++) await firstValueFrom(of(i).pipe(takeUntilAborted(signal)));
    expect(listeners(signal)).toBe(0);
  });

  it('after an abort the listener is gone too, and an already-aborted signal adds none', () => {
    const controller = new AbortController();
    const errors: unknown[] = [];
    NEVER.pipe(takeUntilAborted(controller.signal)).subscribe({ error: (e) => errors.push(e) });
    controller.abort();
    expect(listeners(controller.signal)).toBe(0);
    expect(errors).toHaveLength(1);
    expect((errors[0] as DOMException).name).toBe('AbortError'); // abort() without a reason
    NEVER.pipe(takeUntilAborted(controller.signal)).subscribe({ error: (e) => errors.push(e) });
    expect(listeners(controller.signal)).toBe(0);
    expect(errors).toHaveLength(2);
  });

  it('an already-aborted signal: the source is never subscribed', () => {
    const controller = new AbortController();
    controller.abort('gone');
    let subscribed = false;
    const source = new Observable(() => {
      subscribed = true;
    });
    const seen: unknown[] = [];
    source.pipe(takeUntilAborted(controller.signal)).subscribe({ error: (e) => seen.push(e) });
    source.pipe(takeUntilAborted(controller.signal, { mode: 'complete' })).subscribe({ complete: () => seen.push('complete') });
    expect(subscribed).toBe(false);
    expect(seen).toEqual(['gone', 'complete']);
  });

  it('a source that aborts the signal while it subscribes is cut off at once', () => {
    const controller = new AbortController();
    let emitted = 0;
    const source = new Observable<number>((s) => {
      s.next(1);
      emitted++;
      controller.abort('stop');
      for (let i = 0; i < 5 && !s.closed; i++) (emitted++, s.next(i));
    });
    const seen: unknown[] = [];
    source.pipe(takeUntilAborted(controller.signal)).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(`error ${e}`) });
    expect(seen).toEqual([1, 'error stop']);
    expect(emitted).toBe(1);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('a synchronous source stops when the consumer is satisfied', () => {
    const { signal } = new AbortController();
    let emitted = 0;
    const endless = new Observable<number>((s) => {
      for (let i = 0; !s.closed; i++) (emitted++, s.next(i));
    });
    let values: number[] = [];
    endless.pipe(takeUntilAborted(signal), take(2), toArray()).subscribe((v) => (values = v));
    expect(values).toEqual([0, 1]);
    expect(emitted).toBe(2);
    expect(listeners(signal)).toBe(0);
  });

  it('AbortSignal.timeout and AbortSignal.any work as signals (real time)', async () => {
    const user = new AbortController();
    const signal = AbortSignal.any([user.signal, AbortSignal.timeout(20)]);
    await expect(firstValueFrom(NEVER.pipe(takeUntilAborted(signal)))).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('is exported from the package entry', () => {
    expect(lib.takeUntilAborted).toBe(takeUntilAborted);
  });
});
