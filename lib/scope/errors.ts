import { describe } from '../internal/validate.js';

/**
 * Thrown by `bus.send` (and `scope.send`) once the bus has been closed, and by `bus.request` when
 * the bus closes before a response arrived. A scope closes its own bus when its body ends, so a
 * spawned task that sends after that point gets this error.
 *
 * @example
 * ```ts
 * bus.close();
 * try { bus.send(new Saved()); } catch (e) { if (e instanceof BusClosedError) console.log('too late'); }
 * ```
 */
export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
  constructor(message = 'The event bus is closed: nothing can be sent on it any more') {
    super(message);
  }
}

/**
 * Thrown by `scope.state(Type)` when no scope up to the root holds a state object of exactly
 * `Type` and `new Type()` threw. `type` is the constructor; `cause` is what its constructor threw.
 *
 * @example
 * ```ts
 * class Db { constructor(readonly url: string) { if (!url) throw new Error('url required'); } }
 * scope('app', (s) => of(s.state(Db))); // errors: StateMissingError "No state of type Db … url required"
 * scope('app', (s) => of(s.state(Db)), { state: [new Db('postgres://…')] }); // fine
 * ```
 */
export class StateMissingError extends Error {
  override readonly name = 'StateMissingError';
  constructor(
    readonly type: abstract new (...args: never[]) => unknown,
    override readonly cause: unknown,
  ) {
    super(
      `No state of type ${type.name || '(anonymous class)'} in this scope or its parents, and \`new ${type.name || 'Type'}()\` threw: ${
        cause instanceof Error ? cause.message : describe(cause)
      }`,
    );
  }
}

/**
 * Thrown by `scope.spawn` when the scope has already ended (completed, failed or been cancelled):
 * structured work cannot be added to a scope that is no longer there to own it.
 *
 * @example
 * ```ts
 * let kept: Scope | undefined;
 * scope('app', (s) => ((kept = s), of(1))).subscribe();
 * kept!.spawn(of(2)); // throws ScopeEndedError: "Scope app has ended: …"; use spawnBackground for detached work
 * ```
 */
export class ScopeEndedError extends Error {
  override readonly name = 'ScopeEndedError';
  constructor(readonly path: string) {
    super(`Scope ${path} has ended: no task can be spawned in it any more`);
  }
}

/**
 * What a bus with a transport reports on `bus.errors$` when the transport fails: a message it
 * could not post, a connection that dropped, a channel that could not be joined. `cause` is the
 * transport's own error. Local delivery goes on; the event that could not be posted is lost
 * (the bus is at-most-once, like the transports it rides on).
 *
 * @example
 * ```ts
 * bus.errors$.subscribe((e) => { if (e instanceof BusTransportError) log.warn(e.message); });
 * ```
 */
export class BusTransportError extends Error {
  override readonly name = 'BusTransportError';
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(`${message}: ${cause instanceof Error ? cause.message : describe(cause)}`);
  }
}

/**
 * What a bus with a transport reports on `bus.errors$` for an incoming message it cannot turn
 * into an event: a type key its codec does not know, or a payload that is not an encoded event.
 * `data` is the message as the transport delivered it. The message is dropped; nothing throws
 * inside a subscriber.
 *
 * @example
 * ```ts
 * bus.errors$.pipe(filter((e) => e instanceof BusDecodeError)).subscribe((e) => log.warn(e.message));
 * ```
 */
export class BusDecodeError extends Error {
  override readonly name = 'BusDecodeError';
  constructor(
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}
