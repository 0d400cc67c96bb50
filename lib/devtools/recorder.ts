import { Observable, Subject, asyncScheduler, type SchedulerLike } from 'rxjs';
import { opt, readOptions } from '../internal/options.js';
import { IntHeap } from '../internal/heap.js';

/** How a traced subscription ended. */
export type TaskOutcome = 'completed' | 'errored' | 'cancelled';

/**
 * One finished subscription of a traced source, as {@link traceTasks} records it.
 *
 * Times are the recorder's scheduler clock in milliseconds (`scheduler.now()`), so under
 * `TestScheduler` they are exact virtual frames.
 */
export interface TaskRecord {
  /** Sequence number given at start, from 0, unique within its recorder. */
  readonly id: number;
  /** The label given to `traceTasks` (or `task <id>`). */
  readonly label: string;
  /** The lowest lane that was free when the task started; tasks running at once never share one. */
  readonly lane: number;
  /** When the source was subscribed. */
  readonly start: number;
  /** When it completed, errored or was unsubscribed. */
  readonly end: number;
  readonly outcome: TaskOutcome;
  /** How many values it emitted downstream. */
  readonly values: number;
  /** For `errored`: the error, as `Name: message` for `Error`s and `String(error)` otherwise. */
  readonly error?: string;
}

/** Options of {@link createRecorder}. */
export interface RecorderOptions {
  /** Whose clock stamps the records. Default `asyncScheduler` (which `TestScheduler.run` makes virtual). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Holds the {@link TaskRecord}s written by {@link traceTasks} and hands out lanes. Make one with
 * {@link createRecorder}; share it between every `traceTasks` whose tasks should appear on one
 * timeline.
 */
export interface TaskRecorder {
  /** The clock of the records. */
  readonly scheduler: SchedulerLike;
  /** A copy of the finished records, in start order (by `id`). */
  readonly records: readonly TaskRecord[];
  /** How many traced subscriptions are running right now. */
  readonly active: number;
  /**
   * Every record as it is written (when its task ends), for live views. Hot: it replays nothing,
   * read {@link TaskRecorder.records} for what came before. Never completes.
   */
  readonly records$: Observable<TaskRecord>;
  /** Forgets the finished records. Running tasks keep their lanes and are recorded when they end. */
  clear(): void;
}

/** A started task, handed back to {@link Recorder.end}. */
interface RunningTask {
  readonly id: number;
  readonly label: string;
  readonly lane: number;
  readonly start: number;
}

/** The one implementation of {@link TaskRecorder}; `traceTasks` checks for it with `instanceof`. */
export class Recorder implements TaskRecorder {
  private list: TaskRecord[] = [];
  /** Whether `list` is still in `id` order (tasks mostly end in the order they started). */
  private sorted = true;
  private nextId = 0;
  private running = 0;
  private readonly lanes = new LaneAllocator();
  private readonly written = new Subject<TaskRecord>();
  readonly records$: Observable<TaskRecord> = this.written.asObservable();

  constructor(readonly scheduler: SchedulerLike) {}

  get records(): readonly TaskRecord[] {
    if (!this.sorted) {
      this.list.sort((a, b) => a.id - b.id);
      this.sorted = true;
    }
    return this.list.slice();
  }

  /** The `id` the next task will get. */
  get nextTaskId(): number {
    return this.nextId;
  }

  get active(): number {
    return this.running;
  }

  clear(): void {
    this.list = [];
    this.sorted = true;
  }

  /** Stamps the start of a task and gives it the lowest free lane. */
  begin(label: string | undefined): RunningTask {
    const id = this.nextId++;
    this.running++;
    return { id, label: label ?? `task ${id}`, lane: this.lanes.take(), start: this.scheduler.now() };
  }

  /** Stamps the end of a task, frees its lane and writes its record. */
  end(task: RunningTask, outcome: TaskOutcome, values: number, error?: unknown): void {
    this.running--;
    this.lanes.release(task.lane);
    const record: TaskRecord = {
      ...task,
      end: this.scheduler.now(),
      outcome,
      values,
      ...(outcome === 'errored' ? { error: errorText(error) } : {}),
    };
    const last = this.list[this.list.length - 1];
    if (last !== undefined && last.id > record.id) this.sorted = false;
    this.list.push(record);
    this.written.next(record);
  }
}

/**
 * Makes a {@link TaskRecorder}: the place {@link traceTasks} writes to and the renderers read
 * from.
 *
 * <span class="informal">The flight recorder of a run: records, lanes and a clock.</span>
 *
 * Records are stamped with `scheduler.now()`; the default `asyncScheduler` reads `Date.now()`
 * normally and virtual time inside `TestScheduler.run`, so traces made in marble tests are exact.
 *
 * @throws {TypeError} `options` is not an object, has an unknown key, or `options.scheduler` is not
 *   a scheduler.
 *
 * @example
 * ```ts
 * const recorder = createRecorder();
 * ids$.pipe(mergeMap((id) => fetchOrder(id).pipe(traceTasks(recorder, `order ${id}`)), 4)).subscribe();
 * // later
 * console.log(renderTimelineText(recorder.records));
 * ```
 */
export function createRecorder(options: RecorderOptions = {}): TaskRecorder {
  const { scheduler } = readOptions('options', options, { scheduler: opt.scheduler<SchedulerLike>(asyncScheduler) });
  return new Recorder(scheduler);
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/**
 * Hands out the lowest free lane: lanes below `next` that were released wait in a min-heap, so
 * taking and releasing cost O(log lanes) however many tasks run at once.
 */
class LaneAllocator {
  /** The lowest lane never handed out. */
  private next = 0;
  /** Lanes below `next` that were released. */
  private readonly free = new IntHeap();

  take(): number {
    return this.free.size === 0 ? this.next++ : this.free.pop();
  }

  release(lane: number): void {
    this.free.push(lane);
  }
}
