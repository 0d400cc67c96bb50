/**
 * `npm run bench flow`: the DAG runner of `rxjs-concurrency/flow`.
 *
 * 1. Makespan. A random DAG of 10,000 vertices (each reads up to 3 of the 200 vertices before it)
 *    whose handlers are Observables of known virtual durations (1–100 frames), run under a
 *    `VirtualTimeScheduler`: `schedule: 'eager'` against the critical-path length (the lower
 *    bound: no schedule can finish sooner) and against `'stages'`, with unlimited and with 8
 *    workers (whose own lower bound is the larger of the critical path and the total work ÷ 8).
 *    Target: eager within 1.05× of the critical path with unlimited workers.
 * 2. Per-vertex overhead: the same DAG with zero-work handlers (a plain record, `of(record)`),
 *    wall time of the whole `runFlow` call and run (validation included) divided by the vertex
 *    count. Target: under 20 µs per vertex.
 */
import { VirtualTimeScheduler, lastValueFrom, map, of, timer } from 'rxjs';
import type { FlowHandler, FlowSpec } from '../lib/flow/index.js';
import { seededRandom as random } from '../lib/testing/index.js';
import { flow } from './lib.js';
import { medianMs, report, withRatios, type Row } from './support';

const { runFlow, runFlowResult } = flow;

const N = 10_000;
const WINDOW = 200;
const MAX_DEPS = 3;


interface Dag {
  spec: FlowSpec;
  deps: number[][];
  durations: number[];
}

function randomDag(n: number, seed: number): Dag {
  const rand = random(seed);
  const deps: number[][] = [];
  const durations: number[] = [];
  const flow: FlowSpec['flow'] = {};
  for (let i = 0; i < n; i++) {
    const mine = new Set<number>();
    const count = i === 0 ? 0 : Math.floor(rand() * (MAX_DEPS + 1));
    for (let k = 0; k < count; k++) mine.add(Math.max(0, i - 1 - Math.floor(rand() * WINDOW)));
    deps.push([...mine]);
    durations.push(1 + Math.floor(rand() * 100));
    flow[`v${i}`] = { handler: 'work', inputs: Object.fromEntries([...mine].map((j) => [`in${j}`, `v${j}.o`])) };
  }
  return { spec: { flow }, deps, durations };
}

/** The longest path through the DAG, durations summed: no schedule finishes sooner. */
function criticalPath({ deps, durations }: Dag): number {
  const finish: number[] = [];
  for (let i = 0; i < durations.length; i++) finish.push(durations[i]! + Math.max(0, ...deps[i]!.map((j) => finish[j]!)));
  return Math.max(...finish);
}

/** Runs the DAG in virtual time; returns the makespan in frames. */
function makespan(dag: Dag, schedule: 'eager' | 'stages', maxWorkers: number): number {
  const scheduler = new VirtualTimeScheduler(undefined, Infinity);
  const work: FlowHandler = (_inputs, ctx) => timer(dag.durations[Number(ctx.vertex.slice(1))]!, scheduler).pipe(map(() => ({ o: 1 })));
  let done = false;
  runFlow(dag.spec, { handlers: { work }, parallel: true, maxWorkers, schedule }).subscribe({ complete: () => (done = true) });
  scheduler.flush();
  if (!done) throw new Error('the flow did not complete');
  return scheduler.now();
}

async function perVertexMicros(dag: Dag, work: FlowHandler, parallel: boolean): Promise<number> {
  const ms = await medianMs(() => lastValueFrom(runFlowResult(dag.spec, { handlers: { work }, parallel, maxWorkers: Infinity })), 5);
  return (ms * 1000) / N;
}

export default async function main(): Promise<void> {
  const dag = randomDag(N, 2026);
  const spans: Row[] = [
    { name: `critical path (lower bound), N=${N}`, value: criticalPath(dag), unit: 'frames' },
    { name: "eager, maxWorkers ∞", value: makespan(dag, 'eager', Infinity), unit: 'frames' },
    { name: "stages, maxWorkers ∞", value: makespan(dag, 'stages', Infinity), unit: 'frames' },
    { name: 'total work ÷ 8 (lower bound with 8 workers)', value: Math.max(criticalPath(dag), dag.durations.reduce((a, b) => a + b, 0) / 8), unit: 'frames' },
    { name: 'eager, maxWorkers 8', value: makespan(dag, 'eager', 8), unit: 'frames' },
    { name: 'stages, maxWorkers 8', value: makespan(dag, 'stages', 8), unit: 'frames' },
  ];
  const plain: FlowHandler = () => ({ o: 1 });
  const observable: FlowHandler = () => of({ o: 1 });
  const overhead: Row[] = [
    { name: 'overhead, plain-record handlers, serial', value: await perVertexMicros(dag, plain, false), unit: 'µs/vertex' },
    { name: 'overhead, plain-record handlers, parallel ∞', value: await perVertexMicros(dag, plain, true), unit: 'µs/vertex' },
    { name: 'overhead, of(record) handlers, parallel ∞', value: await perVertexMicros(dag, observable, true), unit: 'µs/vertex' },
  ];
  report('flow', `DAG of ${N} vertices: makespan (virtual frames, ratio to the critical path) and per-vertex overhead`, [
    ...withRatios(spans, spans[0]!.name),
    ...overhead,
  ]);
}
