// Which rule should findLearningRate's suggestion follow? For each task, one range test per seed (the
// trainer's own findLearningRate, its raw losses read through onStep), then the rate each rule picks
// from the same curve, then a fresh trainer per rule trained at that constant rate; the table gives
// the held-out accuracy (or the least-squares loss) each rule's rate reaches.
//
//   node bench/lr-finder-rules.mjs [--seeds N]
//
// Rules, all on the curve findLearningRate uses (its loss smoothed forwards and backwards, cut before
// the blow-up and five more points, from step steps/10 on):
//   steep       where the loss falls fastest per unit of log(lr) before its minimum (fastai's steep)
//   valley      fastai's valley: 1/3 + 1/6 of the way along the longest decreasing run
//   minimum     the rate at the curve's minimum
//   minimum/3   L. Smith's base rate (2017: a third to a quarter of the largest rate that still trains)
//   minimum/10  fastai's `minimum` (an order of magnitude below the minimum)
//   edge/3      L. Smith's rule of thumb (2017, §3.3): a third of the largest rate that still trains, read
//               as the last rate before the loss, past its minimum, rises 1 % above it (on a flat curve
//               the end of the plateau, not its noisy lowest point)
//   edge/5, edge/10  the same edge, further below
//   findLearningRate  the library's own suggestion from the same range test (it now follows edge/5)
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { createTrainer } from 'descent-wasm';
import { loadDigits, loadIris, trainTestSplit } from '../data/datasets.mjs';
import { planeDataset } from '../demo/plane-data.js';
import { environment } from './harness.mjs';

const seedsAt = process.argv.indexOf('--seeds');
const SEEDS = seedsAt >= 0 ? Number(process.argv[seedsAt + 1]) : 2;
const STEPS = 100;
const SMOOTHING = 0.98;

/** Least squares with a curvature of 8 (test/lr-finder.test.ts's problem): the loss after 20 full-batch SGD steps. */
function leastSquares() {
  const rows = 256;
  const scales = [2, 1, 0.5, 0.25];
  let h = [[1]];
  while (h.length < rows) h = [...h.map((r) => [...r, ...r]), ...h.map((r) => [...r, ...r.map((v) => -v)])];
  const x = new Float32Array(rows * 4);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let target = 0.3;
    scales.forEach((s, j) => { x[i * 4 + j] = s * h[i][j + 1]; target += (j + 1) * 0.5 * x[i * 4 + j]; });
    y[i] = target + 0.1 * h[i][7];
  }
  return { train: { x, y }, test: { x, y } };
}

const split = (data) => {
  const { train, test } = trainTestSplit(data, 0.2, 7);
  return { train, test };
};
const plane = (name) => ({ train: planeDataset(name, 1), test: planeDataset(name, 2) });
const classifier = (inputSize, layers, optimizer) => ({ inputSize, layers, loss: 'softmax_cross_entropy', optimizer });

const TASKS = [
  {
    name: 'spirals, 64-64 tanh, Adam, batch 32, 150 epochs',
    data: plane('spirals'),
    spec: classifier(2, [{ units: 64, activation: 'tanh' }, { units: 64, activation: 'tanh' }, { units: 2 }], 'adam'),
    fit: { epochs: 150, batchSize: 32 },
  },
  {
    name: 'spirals, 3×32 tanh, Adam, batch 32, 150 epochs',
    data: plane('spirals'),
    spec: classifier(2, [{ units: 32, activation: 'tanh' }, { units: 32, activation: 'tanh' }, { units: 32, activation: 'tanh' }, { units: 2 }], 'adam'),
    fit: { epochs: 150, batchSize: 32 },
  },
  {
    name: "spirals, 64-64 tanh, init 'torchDefault', Adam, batch 32, 150 epochs",
    data: plane('spirals'),
    spec: classifier(2, [{ units: 64, activation: 'tanh', init: 'torchDefault' }, { units: 64, activation: 'tanh', init: 'torchDefault' }, { units: 2, init: 'torchDefault' }], 'adam'),
    fit: { epochs: 150, batchSize: 32 },
  },
  {
    name: 'moons, 16 tanh, SGD momentum 0.9, batch 32, 40 epochs',
    data: plane('moons'),
    spec: classifier(2, [{ units: 16, activation: 'tanh' }, { units: 2 }], { name: 'sgd', momentum: 0.9 }),
    fit: { epochs: 40, batchSize: 32 },
  },
  {
    name: 'iris, 12 relu, Adam, batch 16, 100 epochs',
    data: split(loadIris()),
    spec: { ...classifier(4, [{ units: 12, activation: 'relu' }, { units: 3 }], 'adam'), normalize: true },
    fit: { epochs: 100, batchSize: 16 },
  },
  {
    name: 'digits 8×8, 64-32 relu, SGD momentum 0.9, batch 32, 20 epochs',
    data: split(loadDigits()),
    spec: { ...classifier(64, [{ units: 32, activation: 'relu' }, { units: 10 }], { name: 'sgd', momentum: 0.9 }), normalize: true },
    fit: { epochs: 20, batchSize: 32 },
  },
  {
    name: 'least squares (curvature 8), SGD, 20 full-batch steps: loss',
    data: leastSquares(),
    spec: { inputSize: 4, layers: [{ units: 1 }], loss: 'mse', optimizer: 'sgd' },
    fit: { epochs: 20, batchSize: 256 },
    finderBatch: 256,
    lossMetric: true,
  },
];

/** fastai's AvgSmoothLoss run forwards, then backwards over the result (findLearningRate's curve, without lag). */
function smoothWithoutLag(values, beta) {
  const average = (v) => {
    let sum = 0;
    return v.map((value, i) => {
      sum = beta * sum + (1 - beta) * value;
      return sum / (1 - beta ** (i + 1));
    });
  };
  return average(average(values).reverse()).reverse();
}

/** Where the loss blew up (findLearningRate's rule): the first of two steps in a row above 4 × the best smoothed loss before it. */
function blowUp(raw, bests) {
  const high = (i) => raw[i] > 4 * bests[i];
  for (let i = 0; i + 1 < raw.length; i++) if (high(i) && high(i + 1)) return i;
  return raw.length;
}

/** fastai's steep (the rule findLearningRate used before): the rate where the loss falls fastest before its minimum. */
function steepestRate(lrs, losses, start) {
  const firstNonFinite = losses.findIndex((loss) => !Number.isFinite(loss));
  let end = firstNonFinite >= 0 ? firstNonFinite : losses.length;
  let lowest = start;
  for (let i = start; i < end; i++) if (losses[i] < losses[lowest]) lowest = i;
  end = Math.min(end, lowest + 1);
  let steepest = Infinity;
  let suggestion = NaN;
  for (let i = start; i + 1 < end; i++) {
    const slope = (losses[i + 1] - losses[i]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]));
    if (slope < steepest) {
      steepest = slope;
      suggestion = lrs[i];
    }
  }
  return suggestion;
}

/** fastai's valley (fastai.callback.schedule.valley) over points [start, end). */
function valley(lrs, losses, start, end) {
  const n = end - start;
  if (n < 2) return NaN;
  const lds = new Array(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[start + i] < losses[start + j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[maxEnd] < lds[i]) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd];
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  return lrs[start + maxStart + Math.floor(sections) + Math.floor(sections / 2)];
}

/** The rate at the curve's minimum over [start, end). */
function minimum(lrs, losses, start, end) {
  let lowest = start;
  for (let i = start; i < end; i++) if (losses[i] < losses[lowest]) lowest = i;
  return end > start ? lrs[lowest] : NaN;
}

/** The last rate before the curve, past its minimum over [start, end), rises 1 % above that minimum. */
function edge(lrs, losses, start, end) {
  let lowest = start;
  for (let i = start; i < end; i++) if (losses[i] < losses[lowest]) lowest = i;
  let last = lowest;
  while (last + 1 < end && losses[last + 1] <= 1.01 * losses[lowest]) last++;
  return end > start ? lrs[last] : NaN;
}

/** Every rule's rate from one range test's raw losses and forward-smoothed losses, and the library's suggestion. */
function rulesOf(lrs, raw, forward, suggestion) {
  const bests = forward.map((_, i) => Math.min(Infinity, ...forward.slice(0, i)));
  const kept = Math.max(0, blowUp(raw, bests) - 5);
  const curve = smoothWithoutLag(raw.slice(0, kept), SMOOTHING);
  const start = Math.floor(STEPS / 10);
  const finite = curve.findIndex((v) => !Number.isFinite(v));
  const end = finite >= 0 ? finite : curve.length;
  const atMinimum = minimum(lrs, curve, start, end);
  return {
    steep: steepestRate(lrs.slice(0, kept), curve, start),
    valley: valley(lrs, curve, start, end),
    minimum: atMinimum,
    'minimum/3': atMinimum / 3,
    'minimum/10': atMinimum / 10,
    'edge/3': edge(lrs, curve, start, end) / 3,
    'edge/5': edge(lrs, curve, start, end) / 5,
    findLearningRate: suggestion,
    'edge/10': edge(lrs, curve, start, end) / 10,
  };
}

async function train(task, seed, lr) {
  const spec = { ...task.spec, seed, optimizer: typeof task.spec.optimizer === 'string' ? { name: task.spec.optimizer, learningRate: lr } : { ...task.spec.optimizer, learningRate: lr } };
  const t = await createTrainer(spec, { worker: false });
  try {
    await t.fit(task.data.train.x, task.data.train.y, { ...task.fit, shuffle: true });
    const result = await t.evaluate(task.data.test.x, task.data.test.y);
    return task.lossMetric ? result.loss : result.accuracy;
  } finally {
    await t.dispose();
  }
}

const env = environment();
const started = new Date().toISOString();
const loadStart = os.loadavg();
const rows = [];
const RULES = ['steep', 'valley', 'minimum', 'minimum/3', 'minimum/10', 'edge/3', 'edge/5', 'edge/10', 'findLearningRate'];
for (const task of TASKS) {
  const perRule = Object.fromEntries(RULES.map((r) => [r, { lrs: [], scores: [] }]));
  for (let seed = 1; seed <= SEEDS; seed++) {
    const spec = { ...task.spec, seed, optimizer: typeof task.spec.optimizer === 'string' ? { name: task.spec.optimizer, learningRate: 1e-3 } : { ...task.spec.optimizer, learningRate: 1e-3 } };
    const t = await createTrainer(spec, { worker: false });
    const raw = [];
    const forward = [];
    const lrs = [];
    const { suggestion } = await t.findLearningRate(task.data.train.x, task.data.train.y, {
      steps: STEPS, batchSize: task.finderBatch ?? task.fit.batchSize, smoothing: SMOOTHING,
      onStep: ({ lr, loss, smoothedLoss }) => { lrs.push(lr); raw.push(loss); forward.push(smoothedLoss); },
    });
    await t.dispose();
    const rates = rulesOf(lrs, raw, forward, suggestion);
    for (const rule of RULES) {
      perRule[rule].lrs.push(rates[rule]);
      perRule[rule].scores.push(Number.isFinite(rates[rule]) ? await train(task, seed, rates[rule]) : NaN);
    }
  }
  rows.push({ task: task.name, lossMetric: !!task.lossMetric, perRule });
  console.error(`done: ${task.name}`);
}

const format = (task, rule) => {
  const { lrs, scores } = task.perRule[rule];
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const score = task.lossMetric ? mean.toPrecision(3) : `${(100 * mean).toFixed(0)} %`;
  return `${score} (${lrs.map((v) => v.toPrecision(2)).join(', ')})`;
};
const lines = [
  '# findLearningRate: which suggestion rule trains best',
  '',
  `${started} · ${env.cpu} × ${env.cores} · Node ${process.version} · load average ${loadStart.map((v) => v.toFixed(2)).join(' ')} at the start, ` +
    `${os.loadavg().map((v) => v.toFixed(2)).join(' ')} at the end · ${SEEDS} seeds per task (range test and training share the seed) · ` +
    `range test: ${STEPS} steps, 1e-7 → 10, smoothing ${SMOOTHING}, at the task's batch size · produced by bench/lr-finder-rules.mjs`,
  '',
  'Each cell: held-out accuracy (least squares: loss after 20 steps, lower is better), mean over seeds, then the suggested rates per seed.',
  '',
  `| task | ${RULES.join(' | ')} |`,
  `|---|${RULES.map(() => '---').join('|')}|`,
  ...rows.map((task) => `| ${task.task} | ${RULES.map((rule) => format(task, rule)).join(' | ')} |`),
];
// The initialiser's share of the plateau: the PyTorch setting (Adam 1e-2, batch 32, 150 epochs)
// with Keras' glorotUniform + zero biases against torch's default, per seed.
lines.push('', '## Initialiser: glorotUniform (zero biases) vs torchDefault on spirals, Adam 1e-2, batch 32, 150 epochs', '',
  '| network | glorotUniform, held out per seed | torchDefault, held out per seed |', '|---|---|---|');
for (const [name, units] of [['3 × 32 tanh', [32, 32, 32]], ['64-64 tanh', [64, 64]]]) {
  const cells = [];
  for (const init of ['glorotUniform', 'torchDefault']) {
    const task = {
      data: plane('spirals'), fit: { epochs: 150, batchSize: 32 },
      spec: classifier(2, [...units.map((u) => ({ units: u, activation: 'tanh', init })), { units: 2, init }], 'adam'),
    };
    const scores = [];
    for (let seed = 1; seed <= SEEDS; seed++) scores.push(await train(task, seed, 1e-2));
    cells.push(scores.map((a) => `${(100 * a).toFixed(0)} %`).join(', '));
  }
  lines.push(`| ${name} | ${cells.join(' | ')} |`);
}
console.log(lines.join('\n'));
writeFileSync(new URL(`./results/${started.slice(0, 10)}-lr-finder.md`, import.meta.url), `${lines.join('\n')}\n`);
