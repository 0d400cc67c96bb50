import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Job, Report } from './redis-worker';

/** A worker process (spec/support/redis-worker.ts) and what it reported so far. */
export interface Worker {
  readonly child: ChildProcess;
  /** Every report, in arrival order, with the parent's `Date.now()` at arrival. */
  readonly reports: (Report & { received: number })[];
  /** Resolves once it said `ready`. */
  readonly ready: Promise<void>;
  /** Resolves with its result when it finishes; rejects when it exits without one. */
  readonly done: Promise<unknown>;
  /** Resolves at the first report that matches. */
  when(test: (report: Report, all: readonly Report[]) => boolean, timeoutMs?: number): Promise<void>;
}

/** Starts a real child process (`node --import tsx`) running `job`. */
export function startWorker(job: Job): Worker {
  const child = fork(join(__dirname, 'redis-worker.ts'), [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const reports: (Report & { received: number })[] = [];
  const waiting = new Set<() => void>();
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const done = new Promise<unknown>((resolve, reject) => {
    child.on('message', (message: Report) => {
      reports.push({ ...message, received: Date.now() });
      if (message.type === 'ready') resolveReady();
      if (message.type === 'done') resolve(message.result);
      for (const check of [...waiting]) check();
    });
    child.on('exit', (code, signal) => reject(new Error(`worker ${job.kind} exited (code ${code}, signal ${signal}) without a result`)));
  });
  done.catch(() => undefined);
  return {
    child,
    reports,
    ready,
    done,
    when(test, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (reports.some((r) => test(r, reports))) {
            waiting.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`worker ${job.kind}: no matching report within ${timeoutMs} ms (got ${reports.length} reports)`));
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
  };
}

/** Kills every worker still running (for `afterEach`). */
export function killAll(workers: readonly Worker[]): void {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
}
