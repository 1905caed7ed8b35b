// The default path (issue 27): plain arrays of 31 MB (10 000 MNIST rows × 784 floats) to a trainer.
//  1. The caller's thread hold of every call that takes arrays (fit, validationData, evaluate, predict,
//     dataset, findLearningRate, gradientNoiseScale) on a worker trainer: the synchronous part of the
//     call plus the largest event-loop delay until it settles (monitorEventLoopDelay, 1 ms
//     resolution); the max of 10 calls, the first one (fresh buffers) included. Target ≤ 16 ms.
//  2. One-epoch fit (MLP 784-128-10, Adam, batch 128) on arrays vs a resident set vs in-thread, in
//     interleaved rounds. Targets: worker arrays ≥ 0.90 of worker resident and ≥ 0.85 of in-thread.
//  3. workers: 2 on arrays vs resident vs the same-run ceiling (two independent one-worker trainers
//     on resident sets at once). Target: arrays ≥ 90 % of the ceiling.
//
//   node --expose-gc bench/default-path.mjs [--rounds N]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createTrainer } from 'descent-wasm';
import { MLP, mnistRows, SPEC } from './mlp.mjs';

const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 7;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${process.argv[roundsAt + 1]}`);

const data = mnistRows(10_000);
const megabytes = (data.x.byteLength / 2 ** 20).toFixed(1);
const epoch = { epochs: 1, batchSize: MLP.batchSize };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const loadAverage = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');
const loadAtStart = loadAverage();

/** The caller's hold of one call: its synchronous part, and the event loop's largest delay until it settles. */
async function hold(call) {
  const delays = monitorEventLoopDelay({ resolution: 1 });
  delays.enable();
  const started = performance.now();
  const pending = call();
  const sync = performance.now() - started;
  await pending;
  delays.disable();
  // the histogram's floor is its 1 ms resolution: a delay below it reads as about 1 ms
  return { sync, loop: delays.max / 1e6 };
}

// 1. hold per call, on a fresh worker trainer (its first calls allocate the transit buffers)
const holds = {};
{
  const t = await createTrainer(SPEC);
  const validation = [data.x.subarray(0, 1000 * MLP.inputs), data.y.subarray(0, 1000)];
  const calls = {
    'fit (1 epoch)': () => t.fit(data.x, data.y, epoch),
    'fit with validationData (1 epoch)': () => t.fit(data.x.subarray(1000 * MLP.inputs), data.y.subarray(1000), { ...epoch, validationData: validation }),
    evaluate: () => t.evaluate(data.x, data.y),
    predict: () => t.predict(data.x),
    dataset: async () => (await t.dataset(data.x, data.y)).dispose(),
    'findLearningRate (20 steps)': () => t.findLearningRate(data.x, data.y, { steps: 20, batchSize: 128 }),
    'gradientNoiseScale (2 batches)': () => t.gradientNoiseScale(data.x, data.y, { batches: 2 }),
  };
  for (const name of Object.keys(calls)) holds[name] = [];
  for (let i = 0; i < 10; i++) {
    for (const [name, call] of Object.entries(calls)) holds[name].push(await hold(call));
  }
  await t.dispose();
}

// 2. one epoch: worker arrays vs worker resident vs in-thread
const inThread = await createTrainer(SPEC, { worker: false });
const inWorker = await createTrainer(SPEC);
const resident = await inWorker.dataset(data.x, data.y);
const oneWorker = {
  'in-thread, arrays': () => inThread.fit(data.x, data.y, epoch),
  'worker, arrays': () => inWorker.fit(data.x, data.y, epoch),
  'worker, resident set': () => inWorker.fit(resident, epoch),
};
const epochMs = Object.fromEntries(Object.keys(oneWorker).map((name) => [name, []]));
for (const run of Object.values(oneWorker)) await run(); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(oneWorker)) {
    globalThis.gc?.();
    const started = performance.now();
    await run();
    epochMs[name].push(performance.now() - started);
  }
}
await inThread.dispose();
await inWorker.dispose();

// 3. workers: 2 on arrays vs resident vs two independent one-worker trainers at once (the ceiling)
const two = await createTrainer(SPEC, { workers: 2 });
const twoResident = await two.dataset(data.x, data.y);
const pair = await Promise.all([createTrainer(SPEC), createTrainer(SPEC)]);
const pairSets = await Promise.all(pair.map((t) => t.dataset(data.x, data.y)));
const parallel = {
  'workers: 2, arrays': async () => { await two.fit(data.x, data.y, epoch); return data.rows; },
  'workers: 2, resident set': async () => { await two.fit(twoResident, epoch); return data.rows; },
  'two independent trainers (ceiling)': async () => { await Promise.all(pair.map((t, i) => t.fit(pairSets[i], epoch))); return 2 * data.rows; },
};
const rates = Object.fromEntries(Object.keys(parallel).map((name) => [name, []]));
for (const run of Object.values(parallel)) await run(); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(parallel)) {
    globalThis.gc?.();
    const started = performance.now();
    const samples = await run();
    rates[name].push((samples * 1000) / (performance.now() - started));
  }
}
await two.dispose();
await Promise.all(pair.map((t) => t.dispose()));

const rate = (name) => (data.rows * 1000) / median(epochMs[name]);
const share = (name) => median(rates[name].map((r, i) => r / rates['two independent trainers (ceiling)'][i]));
const worst = (name) => holds[name].reduce((a, b) => (b.sync + b.loop > a.sync + a.loop ? b : a));
const lines = [
  `# The default path: plain arrays (${megabytes} MB) to a worker trainer`,
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · load average ${loadAtStart} at the start, ${loadAverage()} at the end · MLP 784-128-10, Adam, batch ${MLP.batchSize}, 10 000 MNIST rows`,
  '',
  '## The caller\'s hold per call (max of 10; sync part + largest event-loop delay until it settles)',
  '',
  '| call | max hold ms | its sync part | its loop delay | first call | median of 10 |',
  '|---|---|---|---|---|---|',
  ...Object.keys(holds).map((name) => {
    const w = worst(name);
    const total = (h) => h.sync + h.loop;
    return `| ${name} | ${total(w).toFixed(1)} | ${w.sync.toFixed(1)} | ${w.loop.toFixed(1)} | ${total(holds[name][0]).toFixed(1)} | ${median(holds[name].map(total)).toFixed(1)} |`;
  }),
  '',
  'Target: ≤ 16 ms. The event-loop delay has a floor of about 1 ms (the histogram\'s resolution).',
  '',
  `## One epoch, interleaved (${rounds} rounds)`,
  '',
  '| path | median ms | samples/s | rounds (ms) |',
  '|---|---|---|---|',
  ...Object.keys(epochMs).map((name) => `| ${name} | ${median(epochMs[name]).toFixed(1)} | ${Math.round(rate(name))} | ${epochMs[name].map((v) => v.toFixed(0)).join(' ')} |`),
  '',
  `worker arrays ÷ worker resident: ${(rate('worker, arrays') / rate('worker, resident set')).toFixed(3)} (target ≥ 0.90); worker arrays ÷ in-thread: ${(rate('worker, arrays') / rate('in-thread, arrays')).toFixed(3)} (target ≥ 0.85)`,
  '',
  `## workers: 2 against the same-run ceiling (${rounds} rounds)`,
  '',
  '| path | median samples/s | ÷ that round\'s ceiling (median) | rounds (samples/s) |',
  '|---|---|---|---|',
  ...Object.keys(rates).map((name) => `| ${name} | ${Math.round(median(rates[name]))} | ${(100 * share(name)).toFixed(0)} % | ${rates[name].map((v) => Math.round(v)).join(' ')} |`),
  '',
  `workers: 2 on arrays: ${(100 * share('workers: 2, arrays')).toFixed(0)} % of the ceiling (target ≥ 90 %); on a resident set ${(100 * share('workers: 2, resident set')).toFixed(0)} %`,
];
console.log(lines.join('\n'));
writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}-default-path.md`, import.meta.url), `${lines.join('\n')}\n`);
