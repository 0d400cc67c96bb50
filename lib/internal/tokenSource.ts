/**
 * What the fan-out engine needs of a `CapacityLimiter` given as its limit, and the mark that
 * tells it one was given. The engine checks the mark instead of importing the class, and the
 * token bookkeeping ({@link TokenGate}) is made by the limiter itself, so an app that imports only
 * `boundedMap` carries no limiter code in its bundle. The symbol is not exported from the
 * package: a look-alike object cannot carry it.
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

interface TokenSource {
  /** Makes the gate through which one pool holds this limiter's tokens. */
  [TOKEN_SOURCE](owner: GateOwner): TokenGate;
}

/** What a {@link TokenGate} tells the pool that owns it. */
export interface GateOwner {
  /** The pool is done: a token granted now goes back at once. */
  readonly closed: boolean;
  /** A token was granted later (not inside the request): start what it allows. */
  drain(): void;
  /** The limiter failed the request (shedding, a store failure, a lost lease). */
  fail(error: unknown): void;
}

/** Whether `value` is a `CapacityLimiter` (of this copy of the library). */
export function isTokenSource(value: unknown): value is TokenSource {
  return value !== null && typeof value === 'object' && typeof (value as Partial<TokenSource>)[TOKEN_SOURCE] === 'function';
}

/** The limiter side of a {@link TokenGate}: the tokens and how many there are. */
interface TokenLimiter {
  readonly total: number;
  acquire(onGranted: (lease: TokenLease) => void, onError?: (error: unknown) => void): TokenLease;
}

/**
 * One pool's hold on a limiter's tokens: each running inner holds one; the gate asks for one
 * token at a time (one place in the limiter's FIFO queue), only when the pool has an item to
 * start, and the pool gives each back when its inner ends.
 */
export class TokenGate {
  /** Tokens held: one per running inner, plus any granted and not yet used. */
  private readonly tokens: TokenLease[] = [];
  /** The one pending request for a token, if any. */
  private request: TokenLease | undefined = undefined;
  /** A request is pending (the pool then reads no item ahead). */
  requesting = false;

  constructor(
    private readonly limiter: TokenLimiter,
    private readonly owner: GateOwner,
  ) {}

  /** How many tokens the limiter has (an ordered pool's default window follows it). */
  get total(): number {
    return this.limiter.total;
  }

  /** Whether a token is free for one more inner beside `active` running; if not, asks for one (it may be granted at once). */
  has(active: number): boolean {
    if (this.tokens.length > active) return true;
    if (this.requesting) return false;
    this.requesting = true;
    // Granted at once: the caller starts the item itself (a drain here could start a later one first).
    let now = true;
    const request = this.limiter.acquire(
      (lease) => {
        this.requesting = false;
        this.request = undefined;
        if (this.owner.closed) return lease.release();
        this.tokens.push(lease);
        if (!now) this.owner.drain();
      },
      (error) => {
        this.requesting = false;
        this.request = undefined;
        this.owner.fail(error);
      },
    );
    now = false;
    if (this.requesting) this.request = request;
    return this.tokens.length > active;
  }

  /** Gives back the tokens beyond `active` (`one`: only one of them, an ended inner's). */
  trim(active: number, one = false): void {
    while (this.tokens.length > active) {
      this.tokens.pop()!.release();
      if (one) return;
    }
  }

  /** Gives back every token and the pending request. */
  close(): void {
    const request = this.request;
    this.request = undefined;
    this.requesting = false;
    request?.release();
    for (const token of this.tokens.splice(0)) token.release();
  }
}
