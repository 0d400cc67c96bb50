import { readOptions, type Reader } from '../internal/options.js';
import * as opt from '../internal/options.js';
import { describe, expected } from '../internal/validate.js';
import { defaultFlowCache } from './cache.js';
import type { FlowCacheStore, FlowSchedule, FlowSettings } from './types.js';

/** Settings after resolution: every field known. */
export interface ResolvedFlowSettings {
  readonly parallel: boolean;
  readonly maxWorkers: number;
  readonly schedule: FlowSchedule;
  readonly cache: FlowCacheStore | undefined;
}

/**
 * The built-in defaults, the lowest priority: serial, 4 workers when parallel, eager, no cache.
 *
 * @example
 * ```ts
 * FLOW_DEFAULTS.maxWorkers; // 4
 * ```
 */
export const FLOW_DEFAULTS: { readonly parallel: boolean; readonly maxWorkers: number; readonly schedule: FlowSchedule; readonly cache: boolean } = {
  parallel: false,
  maxWorkers: 4,
  schedule: 'eager',
  cache: false,
};

let configured: FlowSettings = {};

/** A `cache` setting: a boolean, or a store with `get` and `set`. */
const readCache: Reader<boolean | FlowCacheStore | undefined> = (path, cache) => {
  if (
    cache !== undefined &&
    typeof cache !== 'boolean' &&
    (typeof cache !== 'object' || cache === null || typeof (cache as FlowCacheStore).get !== 'function' || typeof (cache as FlowCacheStore).set !== 'function')
  ) {
    throw new TypeError(expected(path, 'be a boolean or a store with get(key) and set(key, outputs)', cache));
  }
  return cache as boolean | FlowCacheStore | undefined;
};

/** The settings' readers (shared by `configureFlows` and `runFlow`'s options); absent stays `undefined`. */
export const SETTING_READERS = {
  parallel: opt.boolean(undefined),
  maxWorkers: opt.limit(undefined),
  schedule: opt.oneOf<FlowSchedule, undefined>(['eager', 'stages'], undefined),
  cache: readCache,
};

/**
 * Sets process-wide flow settings, below per-call options and above the environment variables
 * (`RXC_FLOW_PARALLEL`, `RXC_FLOW_MAX_WORKERS`, `RXC_FLOW_CACHE`) and the built-in defaults.
 * Replaces what an earlier call set; `configureFlows()` clears it. Returns the previous settings,
 * so a test can restore them. Bad values, unknown keys and anything but an object throw at once,
 * naming the setting (`settings.maxWorkers`).
 *
 * @example
 * ```ts
 * configureFlows({ parallel: true, maxWorkers: 8 });
 * runFlow(spec, { handlers });                 // parallel, 8 workers
 * runFlow(spec, { handlers, parallel: false }); // per call wins: serial
 * ```
 */
export function configureFlows(settings: FlowSettings = {}): FlowSettings {
  readOptions('settings', settings, SETTING_READERS);
  const previous = configured;
  configured = { ...settings };
  return previous;
}

/** `process.env` where it exists (Node, Bun, Deno's compat layer), else nothing. */
function environment(): Record<string, string | undefined> | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env;
}

function envBoolean(name: string, text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new TypeError(`Expected environment variable \`${name}\` to be true or false (or 1/0, yes/no, on/off), got ${describe(text)}`);
}

function envLimit(name: string, text: string): number {
  const value = text.trim();
  if (/^(infinity|inf)$/i.test(value)) return Infinity;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1)) throw new RangeError(`Expected environment variable \`${name}\` to be an integer from 1 and up or \`Infinity\`, got ${describe(text)}`);
  return n;
}

/** Reads one environment variable, `undefined` when absent or empty. */
function fromEnv<T>(name: string, parse: (name: string, text: string) => T): T | undefined {
  const text = environment()?.[name];
  return text === undefined || text.trim() === '' ? undefined : parse(name, text);
}

/**
 * Resolves each setting, highest first: per-call options, `configureFlows`, the environment,
 * the defaults. An environment variable is read (and checked) only when nothing above gives the
 * setting. Serial mode means one worker.
 */
export function resolveSettings(perCall: FlowSettings): ResolvedFlowSettings {
  const pick = <K extends keyof FlowSettings>(key: K): FlowSettings[K] => perCall[key] ?? configured[key];
  const parallel = pick('parallel') ?? fromEnv('RXC_FLOW_PARALLEL', envBoolean) ?? FLOW_DEFAULTS.parallel;
  const maxWorkers = parallel ? (pick('maxWorkers') ?? fromEnv('RXC_FLOW_MAX_WORKERS', envLimit) ?? FLOW_DEFAULTS.maxWorkers) : 1;
  const cache = pick('cache') ?? fromEnv('RXC_FLOW_CACHE', envBoolean) ?? FLOW_DEFAULTS.cache;
  return {
    parallel,
    maxWorkers,
    schedule: parallel ? (pick('schedule') ?? FLOW_DEFAULTS.schedule) : 'eager',
    cache: cache === true ? defaultFlowCache : cache === false ? undefined : cache,
  };
}
