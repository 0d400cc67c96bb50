import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { expected } from '../internal/validate.js';

/**
 * The Redis plumbing shared by the stores: checking the client the user passes, running a Lua
 * script in one round trip, and reading Redis error replies.
 */

/** A Lua script and its SHA1, run by {@link runScript}. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** Names a Lua source with its SHA1 (the name appears in error messages). */
export function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * The code of a Redis error reply: its first word, with or without the `ERR ` prefix some
 * servers and versions put in front (`ERR NOSCRIPT ...` and `NOSCRIPT ...` both give `NOSCRIPT`).
 */
export function redisErrorCode(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const words = message.trim().split(/\s+/);
  const first = words[0] === 'ERR' && words.length > 1 && /^[A-Z]+$/.test(words[1]!) ? words[1]! : words[0] ?? '';
  return first;
}

/**
 * Runs `script` with EVALSHA: one round trip while the server has it cached. When the server
 * does not know the script (`NOSCRIPT`: first use, `SCRIPT FLUSH`, or a restart) it is loaded
 * with `SCRIPT LOAD` and run again.
 */
export async function runScript(client: Redis, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (redisErrorCode(error) !== 'NOSCRIPT') throw error;
    await client.script('LOAD', script.source);
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  }
}

/** Throws a `TypeError` naming `value` unless it looks like an ioredis client (`new Redis(...)`). */
export function validateClient(name: string, value: unknown): Redis {
  const client = value as Partial<Record<'evalsha' | 'script' | 'duplicate' | 'subscribe', unknown>> | null;
  if (
    client === null ||
    typeof client !== 'object' ||
    typeof client.evalsha !== 'function' ||
    typeof client.script !== 'function' ||
    typeof client.duplicate !== 'function' ||
    typeof client.subscribe !== 'function'
  ) {
    throw new TypeError(expected(name, `be an ioredis client (\`new Redis(...)\` from 'ioredis')`, value));
  }
  return value as Redis;
}

/** Throws a `TypeError` naming `value` unless it is a non-empty string. */
export function validateKey(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(expected(name, 'be a non-empty string (the Redis key the processes share)', value));
  }
  return value;
}

/**
 * A random id for one store of one process (72 random bits, 12 characters of base64url: no
 * space or colon): it prefixes the ids the store sends with every call, so it is kept short.
 */
export function processTicket(): string {
  return randomBytes(9).toString('base64url');
}
