/**
 * `npx tsx bench/redis-ab.ts KIND,KIND… LIMIT PROCESSES [ROUNDS]`: one case of `redis.bench.ts`
 * (e.g. `capacity,semaphore 8 4`), each kind ROUNDS times in rotating order, against a fresh
 * redis-server: grants/s per run and the medians (for quick A/B while working on lib/redis).
 * Build first (`npm run build`): the worker loads dist/cjs.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { startRedisServer } from '../spec/support/redis-server.js';
import type { BenchJob, BenchResult } from './redis-worker.js';

async function runWorkers(job: BenchJob, processes: number): Promise<BenchResult[]> {
  const children = Array.from({ length: processes }, () =>
    fork(join(__dirname, 'redis-worker.ts'), [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const message = (child: (typeof children)[number], type: string) =>
    new Promise<{ type: string; result?: BenchResult }>((resolve) => {
      const onMessage = (m: { type: string; result?: BenchResult }): void => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
    });
  await Promise.all(children.map((c) => message(c, 'ready')));
  const done = children.map((c) => message(c, 'done'));
  for (const c of children) c.send('go');
  return (await Promise.all(done)).map((m) => m.result!);
}

async function main(): Promise<void> {
  const [kinds = 'capacity,semaphore', limit = '8', processes = '1', rounds = '3'] = process.argv.slice(2);
  const server = await startRedisServer();
  try {
    const list = kinds.split(',') as BenchJob['kind'][];
    const runs = new Map<string, number[]>(list.map((k) => [k, []]));
    for (let round = 0; round < Number(rounds); round++) {
      for (let k = 0; k < list.length; k++) {
        const kind = list[(k + round) % list.length]!;
        const perLoop = Math.max(25, Math.round(Number(process.env.PER ?? 400) / Number(processes)));
        const results = await runWorkers({ kind, url: server.url, key: `${kind}-${round}`, limit: Number(limit), loops: 16, perLoop, holdMs: 0 }, Number(processes));
        const n = results.reduce((s, r) => s + r.latencies.length, 0);
        const rate = n / ((Math.max(...results.map((r) => r.ended)) - Math.min(...results.map((r) => r.started))) / 1000);
        const commands = results.reduce((s, r) => s + r.commands, 0) / n;
        runs.get(kind)!.push(rate);
        console.log(`${kind} round ${round}: ${rate.toFixed(0)} /s, ${commands.toFixed(2)} commands/grant`);
      }
    }
    for (const [kind, r] of runs) console.log(`${kind}: median ${[...r].sort((a, b) => a - b)[Math.floor(r.length / 2)]!.toFixed(0)} /s (${r.map((x) => x.toFixed(0)).join(', ')})`);
  } finally {
    await server.stop();
  }
}
void main();
