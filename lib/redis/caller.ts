import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../resilience/errors.js';
import { redisErrorCode, runScript, type LuaScript } from './script.js';

/** Redis error replies that mean "not now" (the server is starting, busy, failing over): retried. */
const TRANSIENT = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'MASTERDOWN', 'CLUSTERDOWN', 'READONLY']);

/** How long to wait before calling again after a failed call, while the timeout lasts. */
const RETRY_MS = 100;

/**
 * Calls the scripts of one store, each answer within `timeout` ms or a
 * {@link StoreUnavailableError} naming the store's key and the cause. A call that fails for a
 * connection reason (refused, closed, a transient reply such as `LOADING`) is tried again every
 * 100 ms until the timeout; other error replies fail at once. A call abandoned at its timeout
 * may still be answered later (ioredis queues commands while reconnecting): `late` gets that
 * answer, so the store can give back what it granted.
 *
 * It also keeps the store's epoch: the id of the server-side state last seen, sent with every
 * call so the scripts notice when the server lost that state (see `scripts.ts`).
 */
export class ScriptCaller {
  /** The epoch id of the last answer ('' before the first). */
  epoch = '';

  constructor(
    readonly client: Redis,
    readonly key: string,
    readonly timeout: number,
  ) {}

  call(script: LuaScript, keys: readonly string[], args: readonly (string | number)[], late: (reply: unknown) => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      let done = false;
      let lastError: unknown;
      const giveUp = setTimeout(() => {
        done = true;
        const status = (this.client as { status?: string }).status;
        reject(new StoreUnavailableError(this.key, lastError ?? new Error(`no answer within ${this.timeout} ms (connection ${status ?? 'unknown'})`)));
      }, this.timeout);
      const attempt = (): void => {
        runScript(this.client, script, keys, args).then(
          (reply) => {
            if (done) return late(reply);
            done = true;
            clearTimeout(giveUp);
            resolve(reply);
          },
          (error: unknown) => {
            if (done) return;
            const replyError = (error as { name?: string }).name === 'ReplyError';
            if (replyError && !TRANSIENT.has(redisErrorCode(error))) {
              done = true;
              clearTimeout(giveUp);
              reject(new StoreUnavailableError(this.key, error));
              return;
            }
            lastError = error;
            if (performance.now() - started + RETRY_MS < this.timeout) setTimeout(attempt, RETRY_MS);
          },
        );
      };
      attempt();
    });
  }
}

/** The Redis keys of one limiter, all with the same hash tag so a cluster keeps them on one slot. */
export function keysOf(key: string, kind: 'capacity' | 'rate') {
  const base = `rxjs-concurrency:${kind}:{${key}}`;
  return {
    holders: `${base}:holders`,
    queue: `${base}:queue`,
    tickets: `${base}:tickets`,
    want: `${base}:want`,
    seen: `${base}:seen`,
    log: `${base}:log`,
    epoch: `${base}:epoch`,
    channel: `${base}:free`,
  };
}
