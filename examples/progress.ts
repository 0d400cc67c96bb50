/**
 * The progress line on stderr. On a terminal it is redrawn in place (`\r` and clear-line) ten
 * times a second; otherwise (a pipe, a CI log) a plain line is written every second, so logs stay
 * readable. It only reads the job's live counters: the job never waits for it.
 */
import type { JobProgress } from './order-job.js';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export class ProgressLine {
  private progress: Readonly<JobProgress> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly stream: ProgressStream,
    private readonly rateLimit: number,
  ) {
    this.tty = stream.isTTY === true;
  }

  /** The job's live counters (from its `onProgress`). */
  update(progress: Readonly<JobProgress>): void {
    this.progress = progress;
  }

  start(): void {
    this.timer = setInterval(() => this.draw(), this.tty ? 100 : 1_000);
  }

  /** Stops redrawing; on a terminal the line is cleared, elsewhere a last line is written. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.stream.write('\r\x1b[2K');
    else this.draw();
  }

  private draw(): void {
    const p = this.progress;
    if (p === undefined) return;
    const parts = progressParts(p, this.rateLimit, performance.now() - p.startedAt);
    if (this.tty) {
      const columns = this.stream.columns ?? 0;
      this.stream.write(`\r\x1b[2K${fit(parts, columns > 20 ? columns - 1 : 119)}`);
    } else {
      this.stream.write(`${parts.join('  ')}\n`);
    }
  }
}

/** Joins the parts, leaving out the least telling ones (then cutting) to fit a terminal line. */
function fit(parts: readonly string[], width: number): string {
  let kept = [...parts];
  for (const drop of ['in flight', 'API', '/s']) {
    if (kept.join('  ').length <= width) break;
    kept = kept.filter((part) => !part.includes(drop));
  }
  const line = kept.join('  ');
  return line.length > width ? line.slice(0, width) : line;
}

/** `[3.0s] orders 1,620/5,000 32%  ok 1,577  failed 43  retried 190  in flight 32  API 16/16  540/s  ETA 6s`, as parts. */
export function progressParts(p: Readonly<JobProgress>, rateLimit: number, elapsedMs: number): string[] {
  const finished = p.succeeded + p.failed;
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? finished / seconds : 0;
  const left = p.items - finished;
  const eta = left === 0 ? 'done' : rate > 0 ? `ETA ${formatDuration(left / rate)}` : 'ETA …';
  const n = (x: number): string => x.toLocaleString('en-US');
  return [
    `[${seconds.toFixed(1)}s] orders ${n(finished)}/${n(p.items)} ${Math.floor((100 * finished) / p.items)}%`,
    `ok ${n(p.succeeded)}`,
    `failed ${n(p.failed)}`,
    `retried ${n(p.retried)}`,
    `in flight ${p.inFlight}`,
    `API ${p.api.inFlight}/${rateLimit}`,
    `${n(Math.round(rate))}/s`,
    eta,
  ];
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}
