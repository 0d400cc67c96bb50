import { getEventListeners } from 'node:events';
import { NEVER, lastValueFrom, of } from 'rxjs';
import { scope } from '../lib/index';
import { runFlow, runFlowResult } from '../lib/flow/index';

/** `signal` options of `scope()` and `runFlow`: work started from promise code is cancelled with the controller it already has. */
describe('scope({ signal })', () => {
  it('aborting cancels the body and every task (their signals abort) and errors with the reason', async () => {
    const controller = new AbortController();
    const taskSignals: AbortSignal[] = [];
    const reason = new Error('client went away');
    const done = lastValueFrom(
      scope(
        'request',
        (s) => {
          s.spawn((ctx) => (taskSignals.push(ctx.signal), NEVER));
          return NEVER;
        },
        { signal: controller.signal },
      ),
    );
    await Promise.resolve();
    expect(taskSignals).toHaveLength(1);
    controller.abort(reason);
    await expect(done).rejects.toBe(reason);
    expect(taskSignals[0]!.aborted).toBe(true);
  });

  it('a signal already aborted fails the scope at subscription; the body never runs', () => {
    let ran = 0;
    const errors: unknown[] = [];
    scope('late', () => (ran++, of(1)), { signal: AbortSignal.abort('too late') }).subscribe({ error: (e: unknown) => errors.push(e) });
    expect(ran).toBe(0);
    expect(errors).toEqual(['too late']);
  });

  it('a scope that ends first is untouched by a later abort, and leaves no listener behind', async () => {
    const controller = new AbortController();
    expect(await lastValueFrom(scope('quick', () => of(7), { signal: controller.signal }))).toBe(7);
    controller.abort();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('refuses a non-signal at call time, naming options.signal', () => {
    expect(() => scope('x', () => of(1), { signal: {} as AbortSignal })).toThrow('Expected `options.signal` to be an AbortSignal, got `{}` (object)');
  });
});

describe('runFlow({ signal })', () => {
  const flow = { flow: { slow: {} } };

  it('aborting cancels the running handler (its signal aborts) and errors with the reason', async () => {
    const controller = new AbortController();
    let handlerSignal: AbortSignal | undefined;
    const done = lastValueFrom(
      runFlowResult(flow, {
        handlers: { slow: (_inputs: unknown, ctx: { signal: AbortSignal }) => ((handlerSignal = ctx.signal), NEVER) },
        signal: controller.signal,
      }),
    );
    await new Promise((r) => setTimeout(r, 5));
    expect(handlerSignal?.aborted).toBe(false);
    controller.abort('stop');
    await expect(done).rejects.toBe('stop');
    expect(handlerSignal?.aborted).toBe(true);
  });

  it('refuses a non-signal at call time, naming options.signal', () => {
    expect(() => runFlow(flow, { handlers: { slow: () => of({ value: 1 }) }, signal: 'abort' as unknown as AbortSignal })).toThrow(
      'Expected `options.signal` to be an AbortSignal, got `"abort"` (string)',
    );
  });
});
