/**
 * `npm run demo`: a simulated order-processing job on rxjs-concurrency. See `npm run demo -- --help`
 * and the README's "Try it" section. Exit codes: 0 done (failed orders are part of the
 * simulation), 1 the job itself broke, 2 a bad option.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { RateLimiter } from '../lib/index.js';
import { renderTimeline, renderTimelineText } from '../lib/devtools/index.js';
import { USAGE, UsageError, parseDemoArgs, type DemoOptions } from './cli.js';
import { orderJob, type OrderJobResult } from './order-job.js';
import { runProcesses } from './demo-processes.js';
import { ProgressLine } from './progress.js';
import { firstMilliseconds, formatSummary, summaryLine } from './summary.js';

/** Requests traced for the HTML timeline, from the start of the run. */
const TRACED_REQUESTS = 2_000;
/** The slice of the trace drawn in the terminal. */
const TEXT_WINDOW_MS = 60;

async function main(args: readonly string[]): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`demo: ${error.message}\nRun \`npm run demo -- --help\` for the options.\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  if (options.processes > 1) {
    await runProcesses(options, (text) => void process.stderr.write(text));
    return 0;
  }
  const { items, limit, rateLimit, failureRate, seed, out, perSecond } = options;
  const folder = dirname(resolve(out));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    process.stderr.write(`demo: --out ${out}: the folder ${folder} does not exist\n`);
    return 2;
  }
  process.stderr.write(
    `Processing ${items.toLocaleString('en-US')} order${items === 1 ? '' : 's'}: ${limit.toLocaleString('en-US')} at a time, API rate limit ${rateLimit.toLocaleString('en-US')}, ` +
      `failure rate ${failureRate}, seed ${seed}\n`,
  );
  const progress = new ProgressLine(process.stderr, rateLimit);
  progress.start();
  let result: OrderJobResult;
  try {
    result = await lastValueFrom(
      orderJob({
        items,
        limit,
        rateLimit,
        failureRate,
        seed,
        traceLimit: TRACED_REQUESTS,
        onProgress: (p) => progress.update(p),
        ...(perSecond === null ? {} : { rate: new RateLimiter({ limit: perSecond, interval: 1000 }) }),
      }),
    );
  } finally {
    progress.stop();
  }

  const stdout = (text: string): void => void process.stdout.write(text);
  stdout(`\n${formatSummary(result)}\n${summaryLine(result)}\n`);

  const slice = firstMilliseconds(result.timeline, TEXT_WINDOW_MS);
  stdout(
    `\nAPI requests that started in the first ${TEXT_WINDOW_MS} ms (a lane is one of the ${rateLimit} limiter tokens in use; ` +
      `the full trace is in ${out}):\n\n${renderTimelineText(slice, { width: 72 })}`,
  );

  const n = (value: number): string => value.toLocaleString('en-US');
  const title = `rxjs-concurrency demo: the first ${n(result.timeline.length)} API requests ` +
    `(${n(items)} orders, limit ${n(limit)}, rate limit ${n(rateLimit)}, failure rate ${failureRate}, seed ${seed})`;
  writeFileSync(out, renderTimeline(result.timeline, { title }));
  stdout(`\ntimeline: ${out} (${result.timeline.length.toLocaleString('en-US')} requests; open it in a browser, hover a bar for details)\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
