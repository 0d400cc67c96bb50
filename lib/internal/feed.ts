import { Observable, from, isObservable, type ObservableInput, type Subscriber } from 'rxjs';
import { describe } from './validate.js';

/** Something that can be pulled: an iterable, an async iterable, or a function that makes one per subscription. */
export type Pullable<T> = Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>);

/**
 * How a pool takes its items, opened once per subscription: pushed by an Observable, or pulled
 * one at a time from a (sync or async) iterator when a slot is free.
 */
export type Feed<T> =
  | { readonly kind: 'push'; readonly source: Observable<T> }
  | { readonly kind: 'sync'; readonly iterator: Iterator<T> }
  | { readonly kind: 'async'; readonly iterator: AsyncIterator<T> };

/** The Observable made by `pull()`: it remembers what it pulls from, so the pool can read it lazily. */
export class PullObservable<T> extends Observable<T> {
  constructor(readonly pullable: Pullable<T>) {
    super((subscriber) => {
      const feed = openPullable(pullable);
      return feed.kind === 'sync' ? emitSync(feed.iterator, subscriber) : emitAsync(feed.iterator, subscriber);
    });
  }
}

/** Validates what `pull()` was given. */
export function validatePullable(name: string, value: unknown): void {
  if (typeof value === 'function' || isIterable(value) || isAsyncIterable(value)) return;
  throw new TypeError(`Expected \`${name}\` to be an Iterable, an AsyncIterable or a function returning one, got ${describe(value)}`);
}

/**
 * Opens any ObservableInput as a feed: `pull()` Observables, arrays, iterables and async
 * iterables are pulled lazily; Observables, promises and other inputs are pushed.
 */
export function openFeed<T>(input: ObservableInput<T>): Feed<T> {
  if (input instanceof PullObservable) return openPullable(input.pullable as Pullable<T>);
  if (isObservable(input)) return { kind: 'push', source: input };
  if (isIterable(input)) return { kind: 'sync', iterator: input[Symbol.iterator]() };
  if (isAsyncIterable(input)) return { kind: 'async', iterator: input[Symbol.asyncIterator]() };
  return { kind: 'push', source: from(input) };
}

function openPullable<T>(pullable: Pullable<T>): Feed<T> & { kind: 'sync' | 'async' } {
  const iterable = typeof pullable === 'function' ? pullable() : pullable;
  if (isIterable(iterable)) return { kind: 'sync', iterator: iterable[Symbol.iterator]() };
  if (isAsyncIterable(iterable)) return { kind: 'async', iterator: iterable[Symbol.asyncIterator]() };
  throw new TypeError(`Expected the pull() factory to return an Iterable or AsyncIterable, got ${describe(iterable)}`);
}

/** Ends an iterator early (unsubscribe, error): calls `return()`, swallowing what it throws or rejects with. */
export function closeIterator(iterator: Iterator<unknown> | AsyncIterator<unknown>): void {
  try {
    const result = iterator.return?.() as unknown;
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // A failing return() has nobody left to tell.
  }
}

function emitSync<T>(iterator: Iterator<T>, subscriber: Subscriber<T>) {
  let finished = false;
  try {
    while (!subscriber.closed) {
      const result = iterator.next();
      if (result.done) {
        finished = true;
        subscriber.complete();
        break;
      }
      subscriber.next(result.value);
    }
  } catch (error) {
    finished = true;
    subscriber.error(error);
  }
  if (!finished) closeIterator(iterator);
  return () => {
    finished = true;
  };
}

function emitAsync<T>(iterator: AsyncIterator<T>, subscriber: Subscriber<T>) {
  // Whether the iterator ended on its own (done or threw), or was already closed.
  let finished = false;
  const step = (): void => {
    iterator.next().then(
      (result) => {
        if (finished) return;
        if (result.done) {
          finished = true;
          subscriber.complete();
        } else {
          subscriber.next(result.value);
          if (!subscriber.closed) step();
        }
      },
      (error: unknown) => {
        if (finished) return;
        finished = true;
        subscriber.error(error);
      },
    );
  };
  step();
  return () => {
    if (!finished) {
      finished = true;
      closeIterator(iterator);
    }
  };
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return value != null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value != null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
