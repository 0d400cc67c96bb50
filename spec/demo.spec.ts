import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lastValueFrom, merge, toArray } from 'rxjs';
import { UsageError, parseDemoArgs, DEFAULTS } from '../examples/cli';
import { FakeApi, RateLimitedError } from '../examples/fake-api';
import { orderJob, type OrderJobOptions } from '../examples/order-job';
import { latencyStats } from '../examples/report';

const root = resolve(__dirname, '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runDemo(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(tsx, ['examples/demo.ts', ...args], { cwd: root, timeout: 50_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ code, stdout, stderr });
    });
  });
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

describe('npm run demo', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxc-demo-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('processes the orders, prints a summary line and writes a parseable timeline page', async () => {
    const out = join(dir, 't.html');
    const { code, stdout, stderr } = await runDemo(['--items', '60', '--out', out]);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });

    const line = /^summary: (.*)$/m.exec(stdout)?.[1];
    expect(line).toBeDefined();
    const fields = Object.fromEntries(line!.split(' ').map((f) => f.split('=') as [string, string]));
    expect(fields).toMatchObject({ items: '60', limit: String(DEFAULTS.limit), rate_limit: String(DEFAULTS.rateLimit), rejected: '0' });
    const n = (key: string): number => Number(fields[key]);
    expect(n('succeeded') + n('failed')).toBe(60);
    expect(n('retried')).toBeGreaterThanOrEqual(0);
    expect(n('peak_api')).toBeLessThanOrEqual(n('rate_limit'));
    expect(n('peak_in_flight')).toBeLessThanOrEqual(n('limit'));
    // 60 orders make far fewer requests than the trace holds, so every request is traced.
    expect(n('traced')).toBe(n('requests'));
    expect(stdout).toMatch(/^ {2}succeeded +\d+/m);
    expect(stdout).toMatch(/^lane 0 +\|\[/m); // the ASCII timeline
    expect(stderr).toMatch(/orders 60\/60 100%/); // the last progress line (stderr is a pipe here)

    expect(existsSync(out)).toBe(true);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(count(html, /<rect class="bar /g)).toBe(n('traced'));
    expect(count(html, /<svg[ >]/g)).toBe(1);
    expect(count(html, /<\/svg>/g)).toBe(1);
    expect(count(html, /<html[ >]/g)).toBe(count(html, /<\/html>/g));
    expect(count(html, /<rect /g)).toBe(count(html, /<\/rect>/g) + count(html, /<rect [^>]*\/>/g));
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  }, 60_000);

  it('--processes 4: four processes share one CapacityLimiter and RateLimiter through a real redis-server; the API peaks at its limit, 0 rejected', async () => {
    const { code, stdout, stderr } = await runDemo(['--processes', '4', '--items', '300']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const line = /^summary: (.*)$/m.exec(stdout)?.[1];
    const fields = Object.fromEntries(line!.split(' ').map((f) => f.split('=') as [string, string]));
    expect(fields).toMatchObject({ processes: '4', items: '300', rejected: '0', rate_limit: String(DEFAULTS.rateLimit), peak_api: String(DEFAULTS.rateLimit) });
    expect(Number(fields['succeeded']) + Number(fields['failed'])).toBe(300);
    expect(Number(fields['peak_per_second'])).toBeLessThanOrEqual(Number(fields['per_second']));
    expect(stderr.match(/^process \d \(pid \d+\): orders/gm)).toHaveLength(4);
  }, 60_000);

  it('rejects a bad option with a message naming it, and exit code 2', async () => {
    const { code, stdout, stderr } = await runDemo(['--items', 'zero']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--items expects a whole number from 1 to 10,000,000, got "zero"');
  }, 60_000);

  it('checks that the --out folder exists before it starts', async () => {
    const missing = join(dir, 'no-such-folder', 't.html');
    const { code, stdout, stderr } = await runDemo(['--items', '5', '--out', missing]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`demo: --out ${missing}: the folder ${join(dir, 'no-such-folder')} does not exist`);
  }, 60_000);

  it('prints its options with --help', async () => {
    const { code, stdout } = await runDemo(['--help']);
    expect(code).toBe(0);
    for (const option of ['--items', '--limit', '--rate-limit', '--failure-rate', '--seed', '--out', '--processes', '--per-second']) expect(stdout).toContain(option);
  }, 60_000);
});

describe('demo options', () => {
  const message = (args: string[]): string => {
    try {
      parseDemoArgs(args);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error(`accepted ${args.join(' ')}`);
  };

  it('has defaults and reads every option', () => {
    expect(parseDemoArgs([])).toEqual({ ...DEFAULTS, help: false });
    expect(parseDemoArgs(['--items=7', '--limit', '3', '--rate-limit', '2', '--failure-rate', '0.5', '--seed', '9', '--out', 'x.html'])).toEqual({
      items: 7, limit: 3, rateLimit: 2, failureRate: 0.5, seed: 9, out: 'x.html', processes: 1, perSecond: null, help: false,
    });
    expect(parseDemoArgs(['-h']).help).toBe(true);
  });

  it.each([
    [['--bogus'], 'unknown option --bogus; the options are --items, --limit, --rate-limit, --failure-rate, --seed, --out, --processes, --per-second and --help'],
    [['--items', '0'], '--items expects a whole number from 1 to 10,000,000, got "0"'],
    [['--items', '2.5'], '--items expects a whole number from 1 to 10,000,000, got "2.5"'],
    [['--limit', '-1'], '--limit expects a value, got "-1", which reads as an option (write --limit=-1 if it is the value)'],
    [['--limit=-1'], '--limit expects a whole number from 1 to 100,000, got "-1"'],
    [['--failure-rate', '2'], '--failure-rate expects a number from 0 to 1 (a probability, e.g. 0.05), got "2"'],
    [['--failure-rate', 'often'], '--failure-rate expects a number from 0 to 1 (a probability, e.g. 0.05), got "often"'],
    [['--seed'], '--seed expects a value, as in --seed 100, and got none'],
    [['--help=yes'], '--help takes no value'],
    [['--out', ''], '--out expects a file path, got an empty string'],
    [['extra'], 'unexpected argument "extra": every option is a --flag (see --help)'],
  ])('%j → %s', (args, expected) => {
    expect(message(args)).toBe(expected);
  });
});

describe('the order job', () => {
  const options: OrderJobOptions = { items: 40, limit: 6, rateLimit: 8, failureRate: 0.2, seed: 7 };

  it('is deterministic: the same seed gives the same outcomes', async () => {
    const [a, b] = await lastValueFrom(merge(orderJob(options), orderJob(options)).pipe(toArray()));
    const outcome = (r: typeof a) => ({
      succeeded: r!.report.succeeded,
      failed: r!.report.failed,
      retried: r!.progress.retried,
      causes: r!.report.causes,
    });
    expect(outcome(a)).toEqual(outcome(b));
    expect(a!.report.succeeded + a!.report.failed).toBe(40);
    expect(a!.report.failed).toBeGreaterThan(0); // at a 20 % failure rate some orders fail…
    expect(a!.progress.retried).toBeGreaterThan(0); // …and some requests are retried
    const other = await lastValueFrom(orderJob({ ...options, seed: 8 }));
    expect(outcome(other)).not.toEqual(outcome(a));
  }, 30_000);

  it('never has more API requests in flight than the rate limit: the shared limiter holds', async () => {
    const result = await lastValueFrom(orderJob({ items: 60, limit: 20, rateLimit: 3, failureRate: 0.05, seed: 3 }));
    expect(result.api.rejected).toBe(0);
    expect(result.api.peakInFlight).toBe(3); // 60 lookups wanted at once: the limit was reached, never passed
    expect(result.progress.peakInFlight).toBe(20);
    expect(Math.max(...result.timeline.map((r) => r.lane))).toBe(2); // three lanes: never more than 3 at once
    expect(result.timeline.some((r) => r.label.startsWith('inventory'))).toBe(true); // both pipelines shared it
  }, 30_000);

  it('uses an API that really rejects requests beyond its rate limit', async () => {
    const api = new FakeApi({ seed: 1, failureRate: 0, rateLimit: 2 });
    const settled = await Promise.allSettled([1, 2, 3].map((id) => lastValueFrom(api.request('customer', id, 1))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(RateLimitedError);
    expect(api.stats).toMatchObject({ requests: 3, rejected: 1, peakInFlight: 2, inFlight: 0 });
  });
});

describe('report statistics', () => {
  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(latencyStats(values)).toEqual({ count: 100, mean: 50.5, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(latencyStats([])).toEqual({ count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});
