/**
 * An in-process stand-in for a remote order API: every request takes a few milliseconds, some
 * fail, and the server enforces a rate limit of N requests at once by **rejecting** the
 * (N + 1)th with a 429, as a real gateway would. Outcomes come from `randomFor(seed, kind, id,
 * attempt)`, so one seed always gives the same answers, however the requests interleave.
 */
import { Observable } from 'rxjs';
import { randomFor } from './random.js';

/** What can be asked of the API. */
export type RequestKind = 'customer' | 'payment' | 'shipping' | 'inventory';

/** An HTTP-like failure: `retryable` ones (429, 503) are worth another attempt, 422s are not. */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly retryable: boolean,
  ) {
    super(`${status} ${message}`);
  }
}

/** The server had more than its rate limit of requests in flight. */
export class RateLimitedError extends ApiError {
  override readonly name = 'RateLimitedError';
  constructor(limit: number) {
    super(429, `too many requests (more than ${limit} in flight)`, true);
  }
}

/** A permanent refusal, per kind of request. */
const REFUSALS: Readonly<Record<RequestKind, string>> = {
  customer: 'customer account closed',
  payment: 'card declined',
  shipping: 'address not deliverable',
  inventory: 'unknown SKU',
};

/** Milliseconds each kind of request takes when it succeeds or fails normally: [min, max]. */
export const LATENCY: Readonly<Record<RequestKind, readonly [number, number]>> = {
  customer: [2, 8],
  payment: [4, 20],
  shipping: [3, 12],
  inventory: [5, 15],
};

export interface FakeApiOptions {
  /** Seed of every random outcome. */
  readonly seed: number;
  /** Probability that a request fails, 0..1. Of the failures, 80 % are transient 503s, 18 % permanent 422s and 2 % never answer. */
  readonly failureRate: number;
  /** The most requests the server accepts at once; one more is rejected with a 429. */
  readonly rateLimit: number;
}

/** What the server saw; all figures are counted as requests happen. */
export interface ApiStats {
  requests: number;
  inFlight: number;
  peakInFlight: number;
  /** Rejected with a 429 because more than `rateLimit` were in flight: 0 when the client limits itself. */
  rejected: number;
  ok: number;
  /** 503s. */
  transient: number;
  /** 422s. */
  refused: number;
  /** Requests the server never answered (the client's deadline cut them). */
  hung: number;
  /** Other requests the client gave up on before the answer (the run ended, a deadline passed). */
  cancelled: number;
}

export interface ApiResponse {
  readonly kind: RequestKind;
  readonly id: number;
  readonly attempt: number;
  readonly latency: number;
}

export class FakeApi {
  readonly stats: ApiStats = {
    requests: 0,
    inFlight: 0,
    peakInFlight: 0,
    rejected: 0,
    ok: 0,
    transient: 0,
    refused: 0,
    hung: 0,
    cancelled: 0,
  };

  constructor(readonly options: FakeApiOptions) {}

  /**
   * One request (cold: each subscription is one attempt). `attempt` counts from 1 and picks the
   * outcome, so a retry of a 503 may succeed.
   */
  request(kind: RequestKind, id: number, attempt: number): Observable<ApiResponse> {
    return new Observable<ApiResponse>((subscriber) => {
      const stats = this.stats;
      stats.requests++;
      if (stats.inFlight >= this.options.rateLimit) {
        stats.rejected++;
        subscriber.error(new RateLimitedError(this.options.rateLimit));
        return;
      }
      stats.inFlight++;
      stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);

      const random = randomFor(this.options.seed, kind, id, attempt);
      const [min, max] = LATENCY[kind];
      const latency = min + Math.floor(random() * (max - min + 1));
      const failed = random() < this.options.failureRate;
      const mode = random();
      let answered = false;
      const answer = (send: () => void): void => {
        answered = true;
        stats.inFlight--;
        send();
      };

      if (failed && mode >= 0.98) {
        // No answer at all: only the client's deadline ends this one.
        stats.hung++;
        return () => {
          stats.inFlight--;
        };
      }
      const timer = setTimeout(() => {
        if (!failed) {
          stats.ok++;
          answer(() => {
            subscriber.next({ kind, id, attempt, latency });
            subscriber.complete();
          });
        } else if (mode < 0.8) {
          stats.transient++;
          answer(() => subscriber.error(new ApiError(503, 'service unavailable', true)));
        } else {
          stats.refused++;
          answer(() => subscriber.error(new ApiError(422, REFUSALS[kind], false)));
        }
      }, latency);
      return () => {
        if (answered) return;
        clearTimeout(timer);
        stats.inFlight--;
        stats.cancelled++;
      };
    });
  }
}
