// What graph models and frozen layers cost, in one process, rounds interleaved so that every variant
// sees the same machine (in this thread, one epoch per sample, MNIST-shaped rows):
//   frozen base   the MNIST CNN of bench/cnn-spec.mjs with its conv base (two conv + pool) frozen under
//                 its dense head, against the same network unfrozen: the frozen prefix runs forward
//                 only (no backward, no weight gradients, no optimizer slots)
//   add           a residual block (conv → conv, + skip: add) against the same block without the add:
//                 the add's forward, its backward and the fan-out gradient sum, as a share of the step
//
//   node bench/graph.mjs [--rounds N]      (writes bench/results/<date>-graph.md)
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrainer } from 'descent-wasm';
import { CNN_SPEC } from './cnn-spec.mjs';
import { mnistRows } from './mlp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 15;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${args[roundsAt + 1]}`);

const common = { inputShape: [28, 28, 1], loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1 };
// the conv layers frozen; the dense head (the last layer) trains
const frozenBase = { ...CNN_SPEC, layers: CNN_SPEC.layers.map((layer) => (layer.type === 'conv2d' ? { ...layer, trainable: false } : layer)) };
const block = (withAdd) => [
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a' },
  { type: 'maxpool2d', poolSize: 2, name: 'p' },
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', name: 'f' },
  ...(withAdd ? [{ type: 'add', inputs: ['p', 'f'] }] : []),
  { type: 'activation', activation: 'relu' },
  { type: 'globalavgpool' },
  { units: 10 },
];
const variants = {
  'CNN base + dense head, unfrozen': CNN_SPEC,
  'CNN base frozen, head trained': frozenBase,
  'residual block (add)': { ...common, layers: block(true) },
  'same block, no add': { ...common, layers: block(false) },
};

const rows = 2_000;
const data = mnistRows(rows);
const epoch = { epochs: 1, batchSize: 64, shuffle: true };
const trainers = Object.fromEntries(await Promise.all(Object.entries(variants).map(async ([name, spec]) => [name, await createTrainer(spec, { worker: false })])));
// resident sets: a fit does not stage the rows again, so a sample times training alone
const sets = Object.fromEntries(await Promise.all(Object.entries(trainers).map(async ([name, t]) => [name, await t.dataset(data.x, data.y)])));
// CPU time of this process (all its threads) beside wall time: on a shared machine it leaves out the
// time other processes held the cores, which wall time counts
const cpuSamples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (const [name, t] of Object.entries(trainers)) await t.fit(sets[name], epoch);
for (let round = 0; round < rounds; round++) {
  // every other round in the reverse order, so that no variant always runs right after another
  const order = round % 2 === 0 ? Object.entries(trainers) : Object.entries(trainers).reverse();
  for (const [name, t] of order) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await t.fit(sets[name], epoch);
    samples[name].push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpuSamples[name].push((cpu.user + cpu.system) / 1000);
  }
}
const build = trainers['CNN base frozen, head trained'].info.build;
for (const t of Object.values(trainers)) await t.dispose();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (name) => rows / (median(samples[name]) / 1000);
const names = Object.keys(samples);
// per round, the two variants ran one after the other: their ratio cancels the machine's slower drifts
const paired = (f) => median(samples[names[0]].map((_v, round) => f(round)));
const frozenSpeedup = paired((r) => samples['CNN base + dense head, unfrozen'][r] / samples['CNN base frozen, head trained'][r]);
const addShare = paired((r) => 1 - samples['same block, no add'][r] / samples['residual block (add)'][r]);
const frozenCpu = paired((r) => cpuSamples['CNN base + dense head, unfrozen'][r] / cpuSamples['CNN base frozen, head trained'][r]);
const addCpu = paired((r) => 1 - cpuSamples['same block, no add'][r] / cpuSamples['residual block (add)'][r]);
const lines = [
  '# Graph models: frozen base and add',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · ${build} build · load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} (at the end) · ${rounds} rounds of one epoch (${rows} MNIST rows, batch ${epoch.batchSize}, Adam) per variant, interleaved, in this thread, resident data sets`,
  '',
  '| variant | median ms | min ms | samples/s (median) | median CPU ms | samples (wall ms) |',
  '|---|---|---|---|---|---|',
  ...names.map((name) => `| ${name} | ${median(samples[name]).toFixed(1)} | ${Math.min(...samples[name]).toFixed(1)} | ${rate(name).toFixed(0)} | ${median(cpuSamples[name]).toFixed(1)} | ${samples[name].map((v) => v.toFixed(0)).join(' ')} |`),
  '',
  `frozen base: ${frozenSpeedup.toFixed(2)}× the samples/s of the same network unfrozen (median of the rounds' paired ratios; medians ${(rate('CNN base frozen, head trained') / rate('CNN base + dense head, unfrozen')).toFixed(2)}×, minima ${(Math.min(...samples['CNN base + dense head, unfrozen']) / Math.min(...samples['CNN base frozen, head trained'])).toFixed(2)}×)`,
  `CPU time (this process): frozen base ${frozenCpu.toFixed(2)}×, add ${(100 * addCpu).toFixed(1)} % (medians of the rounds' paired ratios)`,
  `add: ${(100 * addShare).toFixed(1)} % of the residual block's step (median of the rounds' paired 1 − plain / residual; minima ${(100 * (1 - Math.min(...samples['same block, no add']) / Math.min(...samples['residual block (add)']))).toFixed(1)} %)`,
];
console.log(lines.join('\n'));
const out = join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-graph.md`);
if (existsSync(join(root, 'bench', 'results'))) writeFileSync(out, `${lines.join('\n')}\n`);
