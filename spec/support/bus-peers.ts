/**
 * Starting and driving the bus peers of the transport tests (spec/support/bus-peer.ts) in worker
 * threads or child processes, both running the TypeScript peer through tsx (spec/support/run-ts.js).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TYPES } from './bus-events';

const PEER = join(__dirname, 'bus-peer.ts');
/** A plain-JS entry that registers tsx and requires the peer. */
const RUN_TS = join(__dirname, 'run-ts.js');

export interface Reply {
  readonly kind: string;
  readonly [key: string]: unknown;
}

/** One running peer: send it commands, wait for its replies. */
export class Peer {
  /** Every reply so far, in order (bus errors included). */
  readonly replies: Reply[] = [];
  private waiters: { kind: string; resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }[] = [];
  private exited: Error | undefined;

  constructor(
    readonly name: string,
    private readonly post: (message: unknown) => void,
    readonly kill: () => void,
  ) {}

  /** Called with each message from the peer. */
  onReply(reply: Reply): void {
    this.replies.push(reply);
    const index = this.waiters.findIndex((w) => w.kind === reply.kind);
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      clearTimeout(waiter!.timer);
      waiter!.resolve(reply);
    }
  }

  /** Called when the peer exits or fails. */
  onExit(error: Error): void {
    this.exited = error;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  /** The next reply of `kind`. */
  next(kind: string, timeoutMs = 60_000): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${kind}" reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ kind, resolve, reject, timer });
    });
  }

  /** Sends `command` and waits for the reply of `kind`. */
  ask(command: Record<string, unknown>, kind: string, timeoutMs?: number): Promise<Reply> {
    const reply = this.next(kind, timeoutMs);
    this.post(command);
    return reply;
  }

  /** Bus errors reported so far. */
  busErrors(): Reply[] {
    return this.replies.filter((r) => r.kind === 'bus-error');
  }

  /** Closes the peer's bus and waits for it to go away. */
  async close(): Promise<void> {
    if (this.exited) return;
    await this.ask({ cmd: 'close' }, 'closed', 10_000).catch(() => this.kill());
  }
}

/** A peer in a worker thread of this process (`entry`: another peer script, e.g. the benchmark's). */
export async function startWorkerPeer<C extends { readonly name: string }>(config: C, entry = PEER): Promise<Peer> {
  const worker = new Worker(RUN_TS, { argv: [entry], workerData: config });
  const peer = new Peer(config.name, (m) => worker.postMessage(m), () => void worker.terminate());
  worker.on('message', (m: Reply) => peer.onReply(m));
  worker.on('error', (e) => peer.onExit(e));
  worker.on('exit', (code) => peer.onExit(new Error(`${config.name} exited with code ${code}`)));
  await peer.next('ready', 30_000);
  return peer;
}

/** A peer in a child process of its own (`entry`: another peer script, e.g. the benchmark's). */
export async function startProcessPeer<C extends { readonly name: string }>(config: C, entry = PEER): Promise<Peer> {
  const child: ChildProcess = fork(RUN_TS, [entry], {
    env: { ...process.env, BUS_PEER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const peer = new Peer(config.name, (m) => child.send(m as never), () => child.kill('SIGKILL'));
  child.on('message', (m: Reply) => peer.onReply(m));
  child.on('error', (e) => peer.onExit(e));
  child.on('exit', (code, signal) => peer.onExit(new Error(`${config.name} exited with ${signal ?? code}`)));
  await peer.next('ready', 30_000);
  return peer;
}

/** What a peer's report holds, by `sender:round/Type`: the sequence numbers in arrival order. */
export type Received = Record<string, number[]>;

/** The report of a full round of `n` events from `sender:round`: 0, 1, 2, … per type. */
export function fullRound(sender: string, round: number, n: number): Received {
  return Object.fromEntries(TYPES.map((T, t) => [`${sender}:${round}/${T.name}`, Array.from({ length: Math.ceil((n - t) / 3) }, (_, i) => i)]));
}

/** The entries of `report` for one round. */
export function roundOf(report: Received, round: number): Received {
  return Object.fromEntries(Object.entries(report).filter(([key]) => key.split('/')[0]!.endsWith(`:${round}`)));
}

/**
 * Asks each peer for its report until each holds at least `count` events of `round` (or
 * `timeoutMs` passed), then waits a little more so that duplicates would show, and returns them.
 */
export async function reportsOnce(peers: readonly Peer[], round: number, count: number, timeoutMs = 60_000): Promise<Received[]> {
  const ask = async (peer: Peer) => roundOf((await peer.ask({ cmd: 'report' }, 'report')).got as Received, round);
  const size = (r: Received) => Object.values(r).reduce((s, seqs) => s + seqs.length, 0);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const reports = await Promise.all(peers.map(ask));
    if (reports.every((r) => size(r) >= count)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  return Promise.all(peers.map(ask));
}
