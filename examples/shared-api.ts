/**
 * The fake API of `npm run demo -- --processes N`, shared by the N processes: ONE `FakeApi` (one
 * limit of requests at once, one set of statistics) in the parent process, which the children
 * call over their IPC channel (`process.send`). A request the fake server would never answer is
 * ended by this gateway with a 504 after `gatewayTimeoutMs`, so the server, not a client's
 * deadline, decides when it stops counting it as in flight.
 */
import type { ChildProcess } from 'node:child_process';
import { Observable, type Subscription } from 'rxjs';
import { ApiError, RateLimitedError, type ApiResponse, type ApiStats, type FakeApi, type RequestKind } from './fake-api.js';
import type { Api } from './order-job.js';

/** What a child asks: a request, or to cancel one it gave up on. */
type Ask = { api: 'request'; rid: number; kind: RequestKind; id: number; attempt: number } | { api: 'cancel'; rid: number };
/** What the gateway answers: the response, or the error's status, reason and whether to retry. */
type Outcome = { ok: true; response: ApiResponse } | { ok: false; status: number; reason: string; retryable: boolean };
type Reply = { api: 'reply'; rid: number } & Outcome;

/** The busiest sliding second of request arrivals at the gateway. */
export class RateMeter {
  /** Arrival times (ms) of the last second. */
  private readonly recent: number[] = [];
  peak = 0;

  arrived(now: number): void {
    this.recent.push(now);
    while (this.recent[0]! <= now - 1000) this.recent.shift();
    this.peak = Math.max(this.peak, this.recent.length);
  }
}

/** Serves `api` to `child` over its IPC channel; the meter counts arrivals from every child. */
export function serveApi(api: FakeApi, child: ChildProcess, meter: RateMeter, gatewayTimeoutMs: number): void {
  const open = new Map<number, () => void>();
  child.on('message', (ask: Ask) => {
    if (ask.api === 'cancel') {
      open.get(ask.rid)?.();
      return;
    }
    if (ask.api !== 'request') return;
    meter.arrived(performance.now());
    const { rid } = ask;
    let done = false;
    // Declared before subscribing: a synchronous answer (a 429) replies inside `subscribe`.
    let subscription: Subscription | undefined;
    const finish = (): void => {
      done = true;
      clearTimeout(gateway);
      open.delete(rid);
      subscription?.unsubscribe();
    };
    const reply = (body: Outcome): void => {
      if (done) return;
      finish();
      if (child.connected) child.send({ api: 'reply', rid, ...body });
    };
    const gateway = setTimeout(() => reply({ ok: false, status: 504, reason: 'gateway timeout', retryable: false }), gatewayTimeoutMs);
    open.set(rid, finish);
    subscription = api.request(ask.kind, ask.id, ask.attempt).subscribe({
      next: (response) => reply({ ok: true, response }),
      error: (error: ApiError) => reply({ ok: false, status: error.status, reason: error.message.replace(/^\d+ /, ''), retryable: error.retryable }),
    });
    if (done) subscription.unsubscribe();
  });
}

/** The client in a child process, for `orderJob({ api })`: unsubscribing cancels the request. */
export function ipcApi(rateLimit: number): Api {
  const stats: ApiStats = { requests: 0, inFlight: 0, peakInFlight: 0, rejected: 0, ok: 0, transient: 0, refused: 0, hung: 0, cancelled: 0 };
  const waiting = new Map<number, (reply: Reply) => void>();
  let next = 0;
  process.on('message', (reply: Reply) => {
    if (reply.api === 'reply') waiting.get(reply.rid)?.(reply);
  });
  return {
    stats,
    request: (kind, id, attempt) =>
      new Observable<ApiResponse>((subscriber) => {
        stats.requests++;
        const rid = ++next;
        waiting.set(rid, (reply) => {
          waiting.delete(rid);
          if (reply.ok) {
            subscriber.next(reply.response);
            subscriber.complete();
          } else if (reply.status === 429) subscriber.error(new RateLimitedError(rateLimit));
          else subscriber.error(new ApiError(reply.status, reply.reason, reply.retryable));
        });
        process.send!({ api: 'request', rid, kind, id, attempt } satisfies Ask);
        return () => {
          if (waiting.delete(rid)) process.send!({ api: 'cancel', rid } satisfies Ask);
        };
      }),
  };
}
