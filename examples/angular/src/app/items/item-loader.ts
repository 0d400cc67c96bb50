import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, InjectionToken, inject } from '@angular/core';
import { scan, startWith, type Observable } from 'rxjs';
import { boundedMap, failAfter, pull, retryBackoff } from 'rxjs-concurrency';

export interface Item {
  id: number;
  name: string;
}

export interface ItemsProgress {
  /** Items loaded so far. */
  done: number;
  total: number;
  /** The item that arrived last. */
  last?: Item;
}

export interface ItemLoading {
  /** How many items (ids 1…count). */
  count: number;
  /** Requests in flight at once. */
  limit: number;
  /** retryBackoff: subscriptions per item, the first included, and the first delay in ms. */
  attempts: number;
  baseDelay: number;
  jitter: number;
  /** failAfter: the time budget of one item, retries included, in ms. */
  timeout: number;
}

/** The loader's settings; tests provide their own. */
export const ITEM_LOADING = new InjectionToken<ItemLoading>('ITEM_LOADING', {
  factory: () => ({ count: 200, limit: 4, attempts: 3, baseDelay: 100, jitter: 0.1, timeout: 5_000 }),
});

/** A server error or a lost connection is worth another try; a 404 is not. */
const transient = (error: unknown) => error instanceof HttpErrorResponse && (error.status === 0 || error.status >= 500);

@Injectable({ providedIn: 'root' })
export class ItemLoader {
  private readonly http = inject(HttpClient);
  private readonly settings = inject(ITEM_LOADING);

  /**
   * Loads every item, at most `limit` requests at once, and reports progress. Cold: each
   * subscription loads afresh; unsubscribing (the async pipe, when the page goes) cancels the
   * requests in flight and starts no new one.
   */
  load(): Observable<ItemsProgress> {
    const { count, limit, attempts, baseDelay, jitter, timeout } = this.settings;
    const ids = function* () {
      for (let id = 1; id <= count; id++) yield id;
    };
    return pull(ids).pipe(
      boundedMap(
        (id) =>
          this.http.get<Item>(`/api/items/${id}`).pipe(
            retryBackoff({ attempts, baseDelay, jitter, retryOn: transient }),
            failAfter(timeout),
          ),
        limit,
        { ordered: false },
      ),
      scan((progress: ItemsProgress, item) => ({ done: progress.done + 1, total: count, last: item }), { done: 0, total: count }),
      startWith({ done: 0, total: count }),
    );
  }
}
