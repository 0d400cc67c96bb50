import type { FlowCacheStore, FlowHandler, FlowOutputs } from './types.js';

/** An in-memory {@link FlowCacheStore} backed by a `Map`, with `clear()` and `size`. */
export interface MemoryFlowCache extends FlowCacheStore {
  clear(): void;
  readonly size: number;
}

/**
 * Creates an in-memory cache for pure vertices. Pass it as `cache` to keep one flow's entries
 * apart from others (`cache: true` uses {@link defaultFlowCache}, shared by every flow).
 *
 * It keeps a shallow copy of each outputs record and hands out a fresh shallow copy on each hit,
 * so a consumer that adds, removes or replaces keys of an outputs record does not change what
 * later runs get (values inside the record are shared, not cloned).
 *
 * @example
 * ```ts
 * const cache = memoryFlowCache();
 * runFlow(spec, { handlers, cache }); // the first run fills it, the next ones hit
 * ```
 */
export function memoryFlowCache(): MemoryFlowCache {
  const map = new Map<string, FlowOutputs>();
  return {
    get: (key) => {
      const outputs = map.get(key);
      return outputs === undefined ? undefined : { ...outputs };
    },
    set: (key, outputs) => void map.set(key, { ...outputs }),
    clear: () => map.clear(),
    get size() {
      return map.size;
    },
  };
}

/**
 * The store behind `cache: true` (and `RXC_FLOW_CACHE=true`), shared by every flow of the process.
 * Entries live as long as the process; clear it when the handlers' world changed.
 *
 * @example
 * ```ts
 * defaultFlowCache.clear();
 * ```
 */
export const defaultFlowCache: MemoryFlowCache = memoryFlowCache();

const handlerIds = new WeakMap<FlowHandler, number>();
let nextHandlerId = 0;

/** A number standing for a handler's identity: two different functions never share one. */
function handlerId(handler: FlowHandler): number {
  let id = handlerIds.get(handler);
  if (id === undefined) handlerIds.set(handler, (id = ++nextHandlerId));
  return id;
}

/**
 * The cache key of a vertex call: its name, its handler's identity and a stable serialisation of
 * its inputs (object keys sorted). `undefined` when an input cannot be serialised (a function, a
 * symbol, a `Map`, a cycle…): such calls are not cached.
 */
export function cacheKey(vertex: string, handler: FlowHandler, inputs: Record<string, unknown>): string | undefined {
  const text = stableStringify(inputs, new Set());
  return text === undefined ? undefined : `${vertex}\u0000${handlerId(handler)}\u0000${text}`;
}

/** JSON-like text with sorted keys; distinguishes `undefined`, `NaN`, `-0`, bigints and dates. */
function stableStringify(value: unknown, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : Number.isFinite(value) ? String(value) : `#${value}`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return '#undefined';
    case 'bigint':
      return `${value}n`;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (value instanceof Date) return `#date(${value.getTime()})`;
  const proto = Object.getPrototypeOf(value) as unknown;
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null) return undefined;
  if (seen.has(value)) return undefined;
  seen.add(value);
  const parts: string[] = [];
  if (isArray) {
    for (const item of value as unknown[]) {
      const text = stableStringify(item, seen);
      if (text === undefined) return undefined;
      parts.push(text);
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) {
      const text = stableStringify(record[key], seen);
      if (text === undefined) return undefined;
      parts.push(`${JSON.stringify(key)}:${text}`);
    }
  }
  seen.delete(value);
  return isArray ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}
