import { Observable, from, isObservable, type ObservableInput, type Subscriber } from 'rxjs';
import { describe, expected } from './validate.js';

/** Something that can be pulled: an iterable, an async iterable, or a function that makes one per subscription. */
export type Pullable<T> = Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>);

/** An opened pullable: a plain array (read by index), or a sync or async iterator. */
type PullSource<T> =
  | { readonly kind: 'array'; readonly array: readonly T[] }
  | { readonly kind: 'sync'; readonly iterator: Iterator<T> }
  | { readonly kind: 'async'; readonly iterator: AsyncIterator<T> };

/**
 * How a pool takes its items, opened once per subscription: pushed by an Observable, or pulled
 * one at a time when a slot is free, through the {@link IteratorReader} that `open` makes (see
 * {@link pullFeed}). The pool reaches the reader only through `open`, so a bundle whose feeds are
 * all pushed (an app using only `boundedMap`, without `pull()`) carries no iterator code.
 */
export type Feed<T> =
  | { readonly kind: 'push'; readonly source: Observable<T> }
  | { readonly kind: 'pull'; readonly open: (sink: ReaderSink<T>) => IteratorReader<T> };

/** The feed that pulls from `source`, one item per `read()`. */
export function pullFeed<T>(source: PullSource<T>): Feed<T> {
  return { kind: 'pull', open: (sink) => new IteratorReader(source, sink) };
}

/** What an {@link IteratorReader} tells its owner. */
export interface ReaderSink<T> {
  /** The next item (synchronously inside `read()` for arrays and sync iterators). */
  item(value: T): void;
  /** The iterator is done. */
  end(): void;
  /** `next()` threw or rejected. */
  error(error: unknown): void;
}

/**
 * THE iterator reader: the one place that reads arrays, iterators and async iterators, one item
 * per `read()`, for the pool (one item per free slot) and for `pull()` subscribed on its own.
 * Arrays whose iteration is the built-in one are read by index (no result object per item).
 * An async iterator has at most one `next()` pending. `close()` ends it early, calling `return()`.
 */
export class IteratorReader<T> {
  /** The iterator is done, failed or closed: nothing more is read. */
  finished = false;
  /** An async `next()` is pending. */
  pending = false;
  /** The next index of an array source. */
  private index = 0;

  constructor(
    private readonly source: PullSource<T>,
    private readonly sink: ReaderSink<T>,
  ) {}

  /** Reads one item (or learns that there is none); does nothing while finished or pending. */
  read(): void {
    if (this.finished || this.pending) return;
    const source = this.source;
    if (source.kind === 'array') {
      if (this.index < source.array.length) this.sink.item(source.array[this.index++]!);
      else this.done();
      return;
    }
    if (source.kind === 'sync') {
      let result: IteratorResult<T>;
      try {
        result = source.iterator.next();
      } catch (error) {
        return this.fail(error);
      }
      if (result.done) this.done();
      else this.sink.item(result.value);
      return;
    }
    this.pending = true;
    let next: Promise<IteratorResult<T>>;
    try {
      next = Promise.resolve(source.iterator.next());
    } catch (error) {
      this.pending = false;
      return this.fail(error);
    }
    next.then(
      (result) => {
        this.pending = false;
        if (this.finished) return;
        if (result.done) this.done();
        else this.sink.item(result.value);
      },
      (error: unknown) => {
        this.pending = false;
        if (!this.finished) this.fail(error);
      },
    );
  }

  /** Ends reading early (unsubscribe, error): the iterator's `return()` is called unless it had ended. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.source.kind !== 'array') closeIterator(this.source.iterator);
  }

  private done(): void {
    this.finished = true;
    this.sink.end();
  }

  private fail(error: unknown): void {
    this.finished = true;
    this.sink.error(error);
  }
}

/**
 * How to open, as a pulled feed, each Observable made by `pull()`, so a pool reads it lazily. A
 * table rather than a subclass checked with `instanceof`: an app that never calls `pull()` then
 * bundles none of the pulling code (this class, {@link emitAll}, the iterator reader).
 */
const pulled = new WeakMap<object, () => Feed<unknown>>();

/** The Observable made by `pull()`: subscribed on its own it emits every item; a pool reads it lazily. */
export function pullObservable<T>(pullable: Pullable<T>): Observable<T> {
  const observable = new Observable<T>((subscriber) => emitAll(openPullable(pullable), subscriber));
  pulled.set(observable, () => pullFeed(openPullable(pullable)));
  return observable;
}

/** `pull()` subscribed on its own: every item, read one after the other, then completion. */
function emitAll<T>(source: PullSource<T>, subscriber: Subscriber<T>): () => void {
  const sync = source.kind !== 'async';
  const reader: IteratorReader<T> = new IteratorReader(source, {
    item: (value) => {
      subscriber.next(value);
      if (!sync && !subscriber.closed) reader.read();
    },
    end: () => subscriber.complete(),
    error: (error) => subscriber.error(error),
  });
  if (sync) while (!reader.finished && !subscriber.closed) reader.read();
  else reader.read();
  return () => reader.close();
}

/** Validates what `pull()` was given. */
export function validatePullable(name: string, value: unknown): void {
  if (typeof value === 'function' || isIterable(value) || isAsyncIterable(value)) return;
  throw new TypeError(expected(name, 'be an Iterable, an AsyncIterable or a function returning one', value));
}

/**
 * Opens any ObservableInput as a feed: `pull()` Observables, arrays, iterables and async
 * iterables are pulled lazily; Observables, promises and other inputs are pushed.
 */
export function openFeed<T>(input: ObservableInput<T>): Feed<T> {
  if (isObservable(input)) return observableFeed(input);
  if (isIterable(input) || isAsyncIterable(input)) return pullFeed(openIterable(input));
  return { kind: 'push', source: from(input) };
}

/** An operator's source as a feed: pulled lazily when `pull()` made it, else pushed. */
export function observableFeed<T>(source: Observable<T>): Feed<T> {
  const open = pulled.get(source);
  return open === undefined ? { kind: 'push', source } : (open() as Feed<T>);
}

function openPullable<T>(pullable: Pullable<T>): PullSource<T> {
  const iterable = typeof pullable === 'function' ? pullable() : pullable;
  if (isIterable(iterable) || isAsyncIterable(iterable)) return openIterable(iterable);
  throw new TypeError(`Expected the pull() factory to return an Iterable or AsyncIterable, got ${describe(iterable)}`);
}

function openIterable<T>(iterable: Iterable<T> | AsyncIterable<T>): PullSource<T> {
  // (The built-in iteration is looked up here, once per subscription, not in a module constant
  // that every bundle would keep: reading a property is not side-effect free to a bundler.)
  if (Array.isArray(iterable) && (iterable as T[])[Symbol.iterator] === Array.prototype[Symbol.iterator]) return { kind: 'array', array: iterable as T[] };
  if (isIterable(iterable)) return { kind: 'sync', iterator: iterable[Symbol.iterator]() };
  return { kind: 'async', iterator: iterable[Symbol.asyncIterator]() };
}

/** Ends an iterator early (unsubscribe, error): calls `return()`, swallowing what it throws or rejects with. */
function closeIterator(iterator: Iterator<unknown> | AsyncIterator<unknown>): void {
  try {
    const result = iterator.return?.() as unknown;
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // A failing return() has nobody left to tell.
  }
}

/** Whether `value` is (sync) iterable. */
export function isIterable(value: unknown): value is Iterable<unknown> {
  return value != null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** Whether `value` is async iterable. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value != null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
