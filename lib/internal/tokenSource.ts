/**
 * What the fan-out engine needs of a `CapacityLimiter` given as its limit, and the mark that
 * tells it one was given. The engine checks the mark instead of importing the class, so an app
 * that imports only `boundedMap` carries no limiter code in its bundle. The symbol is not
 * exported from the package: a look-alike object cannot carry it.
 */
export const TOKEN_SOURCE: unique symbol = Symbol('rxjs-concurrency: capacity tokens');

/**
 * What the engine does with a request for a token: the public `CapacityLease`, seen from here
 * (declared again, not imported, so that this module and the limiter's do not depend on each other).
 */
interface TokenLease {
  readonly state: 'waiting' | 'held' | 'released';
  release(): void;
}

export interface TokenSource {
  readonly [TOKEN_SOURCE]: true;
  readonly total: number;
  acquire(onGranted: (lease: TokenLease) => void, onError?: (error: unknown) => void): TokenLease;
}

/** Whether `value` is a `CapacityLimiter` (of this copy of the library). */
export function isTokenSource(value: unknown): value is TokenSource {
  return value !== null && typeof value === 'object' && (value as Partial<TokenSource>)[TOKEN_SOURCE] === true;
}
