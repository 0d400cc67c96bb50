/**
 * The demo's command line, parsed with `node:util`'s `parseArgs`. A bad option is a
 * {@link UsageError} naming the option, what it expects and what it got; the demo prints it and
 * exits with code 2.
 */
import { parseArgs } from 'node:util';

export interface DemoOptions {
  readonly items: number;
  readonly limit: number;
  readonly rateLimit: number;
  readonly failureRate: number;
  readonly seed: number;
  readonly out: string;
  /** 1: everything in this process; more: that many processes sharing the limiters through Redis. */
  readonly processes: number;
  /** API requests per second (a shared RateLimiter), or `null`: none in process, 1,000 with `processes` > 1. */
  readonly perSecond: number | null;
  readonly help: boolean;
}

/** The rate limit used with `--processes` when `--per-second` is not given. */
export const SHARED_PER_SECOND = 2_000;

export const DEFAULTS: Omit<DemoOptions, 'help'> = {
  items: 5_000,
  limit: 32,
  rateLimit: 16,
  failureRate: 0.05,
  seed: 1,
  out: 'demo-timeline.html',
  processes: 1,
  perSecond: null,
};

export const USAGE = `Usage: npm run demo -- [options]      (or: npx tsx examples/demo.ts [options])

Processes simulated orders against an in-process fake API (latency, failures, a rate limit),
shows progress on stderr, prints a summary on stdout and writes a timeline of the first API
requests as an HTML page.

Options:
  --items N          orders to process (default ${DEFAULTS.items})
  --limit N          orders in flight at once, the boundedMap limit (default ${DEFAULTS.limit})
  --rate-limit N     requests the API accepts at once; the shared CapacityLimiter's size (default ${DEFAULTS.rateLimit})
  --failure-rate F   probability that one API request fails, 0 to 1 (default ${DEFAULTS.failureRate})
  --seed N           seed of every random latency, failure and jitter (default ${DEFAULTS.seed})
  --out PATH         where to write the timeline page (default ${DEFAULTS.out})
  --processes N      run the job in N processes sharing one CapacityLimiter and one RateLimiter
                     through a local redis-server it starts (needs redis-server on PATH); the
                     orders are split between them and the fake API is shared (default 1: in process, no Redis)
  --per-second N     API requests per second, a RateLimiter shared like the CapacityLimiter
                     (default: none in process, ${SHARED_PER_SECOND.toLocaleString('en-US')} with --processes)
  -h, --help         show this help
`;

/** A bad command line: the message says which option, what it expects and what it got. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  items: { type: 'string' },
  limit: { type: 'string' },
  'rate-limit': { type: 'string' },
  'failure-rate': { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  processes: { type: 'string' },
  'per-second': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses the demo's arguments (without `node` and the script). */
export function parseDemoArgs(args: readonly string[]): DemoOptions {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(explainParseError(error, args));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}: every option is a --flag (see --help)`);
  }
  const out = values.out ?? DEFAULTS.out;
  if (out.trim() === '') throw new UsageError('--out expects a file path, got an empty string');
  return {
    items: integer('--items', values.items, DEFAULTS.items, 1, 10_000_000),
    limit: integer('--limit', values.limit, DEFAULTS.limit, 1, 100_000),
    rateLimit: integer('--rate-limit', values['rate-limit'], DEFAULTS.rateLimit, 1, 100_000),
    failureRate: fraction('--failure-rate', values['failure-rate'], DEFAULTS.failureRate),
    seed: integer('--seed', values.seed, DEFAULTS.seed, 0, 2 ** 32 - 1),
    out,
    processes: integer('--processes', values.processes, DEFAULTS.processes, 1, 16),
    perSecond: values['per-second'] === undefined ? null : integer('--per-second', values['per-second'], 0, 1, 1_000_000),
    help: values.help ?? false,
  };
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} expects a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function fraction(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new UsageError(`${name} expects a number from 0 to 1 (a probability, e.g. 0.05), got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Rewords `parseArgs`' errors: which option, and what to do. */
function explainParseError(error: unknown, args: readonly string[]): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  // The option as parseArgs quotes it: '--items <value>', '-h, --help', '-x'.
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const option = /--[\w-]+/.exec(quoted)?.[0] ?? /-\w/.exec(quoted)?.[0];
  if (option === undefined) return message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `unknown option ${option}; the options are --items, --limit, --rate-limit, --failure-rate, --seed, --out, --processes, --per-second and --help`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (option === '--help') return '--help takes no value';
    if (message.includes('ambiguous')) {
      const next = args[args.indexOf(option) + 1] ?? '';
      return `${option} expects a value, got ${JSON.stringify(next)}, which reads as an option (write ${option}=${next} if it is the value)`;
    }
    return `${option} expects a value, as in ${option} 100, and got none`;
  }
  return message;
}
