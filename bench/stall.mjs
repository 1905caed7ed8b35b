// Main-thread stall while one MLP epoch trains: tfjs-wasm in this thread (minimize loop, layers.fit),
// descent in this thread (it yields every ~16 ms) and descent in a worker (data copied, or moved with
// `transfer: true`). Event-loop delay from perf_hooks.monitorEventLoopDelay, sampled every millisecond.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { formatMs, markdownTable, progress } from './harness.mjs';
import { IMPLEMENTATIONS, initialWeights, MNIST_ROWS, mnistRows } from './mlp.mjs';

const RESOLUTION_MS = 1;
const P99_GOAL_MS = 10;

/** Event-loop delay while `work` runs: max and p99 beyond the timer's own period, in ms. */
async function eventLoopDelay(work) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // the first tick after enable() is never recorded: let a few pass before the work starts
  await new Promise((resolve) => setTimeout(resolve, 5 * RESOLUTION_MS));
  const started = performance.now();
  await work();
  const epochMs = performance.now() - started;
  // a timer blocked by synchronous work fires only once the thread is free again: let it, so the stall is recorded
  await new Promise((resolve) => setTimeout(resolve, 5 * RESOLUTION_MS));
  histogram.disable();
  // the histogram records whole timer periods: the delay is what exceeds the period
  const delay = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return { epochMs, maxMs: delay(histogram.max), p99Ms: delay(histogram.percentile(99)), meanMs: delay(histogram.mean), samples: histogram.count };
}

const CASES = [
  ['tfjs-wasm minimize loop, in this thread', 'tfjs-wasm minimize loop', 'epoch'],
  ['tfjs-wasm layers.fit, in this thread', 'tfjs-wasm layers.fit', 'epoch'],
  ['descent in this thread', 'descent in-thread', 'epoch'],
  ['descent in a worker, data copied', 'descent in a worker', 'epoch'],
  ['descent in a worker, data transferred', 'descent in a worker', 'epochTransfer'],
];

/** Event-loop delay during one epoch of each way to train, after a warm-up epoch. */
export async function runStallBenchmarks({ quick = false } = {}) {
  const data = mnistRows(quick ? 1024 : MNIST_ROWS);
  const init = await initialWeights();
  const rows = [];
  for (const [label, impl, method] of CASES) {
    progress(`stall: ${label}`);
    const model = await IMPLEMENTATIONS[impl](init, data);
    try {
      await model[method](); // warm-up: compilation and first-touch allocations are not the steady state
      rows.push({ label, ...(await eventLoopDelay(() => model[method]())) });
    } finally {
      await model.dispose();
    }
  }
  const worker = rows.filter((r) => r.label.startsWith('descent in a worker'));
  const targets = worker.map((r) => ({ target: `${r.label}: main-thread p99 stall < ${P99_GOAL_MS} ms`, measured: r.p99Ms, goal: P99_GOAL_MS, below: true, unit: 'ms' }));
  return { rows: data.rows, resolutionMs: RESOLUTION_MS, results: rows, targets };
}

/** The markdown table of the stall suite. */
export function stallTable({ rows, results }) {
  return markdownTable(
    [`one epoch of ${rows} rows`, 'epoch time', 'max event-loop delay', 'p99', 'mean', 'timer samples'],
    results.map((r) => [r.label, formatMs(r.epochMs), formatMs(r.maxMs), formatMs(r.p99Ms), formatMs(r.meanMs), String(r.samples)]),
  );
}
