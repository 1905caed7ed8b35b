// MLP 784-128-10 (ReLU, softmax cross-entropy, Adam lr 1e-3, ε 1e-8, batch 128) on MNIST: descent in
// this thread and in a worker, tfjs-wasm (optimizer.minimize loop and layers model.fit), tfjs-cpu
// (minimize loop) and plain JS, all from descent's initial weights with the same batch order. One
// epoch from those weights first: the final losses must agree; then epochs are timed.
import { loadMnist } from '../data/datasets.mjs';
import { seededOrder } from '../data/random.mjs';
import { createTrainer } from 'descent-wasm';
import { PlainMlp } from 'descent-wasm/bench';
import { formatMs, formatRatio, formatTiming, markdownTable, progress, timeCase } from './harness.mjs';
import { checkNoLeak, tf, tfl, useBackend } from './tfjs.mjs';

export const MLP = { inputs: 784, hidden: 128, classes: 10, batchSize: 128, learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, seed: 1 };
/** Relative agreement required between the final losses of any two implementations. */
export const LOSS_RTOL = 1e-3;
/** Rows the final loss is evaluated on (the first training rows), in float64. */
const EVALUATION_ROWS = 1024;

export const SPEC = {
  inputSize: MLP.inputs, layers: [{ units: MLP.hidden, activation: 'relu' }, { units: MLP.classes }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: MLP.learningRate, beta1: MLP.beta1, beta2: MLP.beta2, epsilon: MLP.epsilon }, seed: MLP.seed,
};

/** Images in the `mnist` package. */
export const MNIST_ROWS = 10_000;

/** The first `rows` MNIST images in one seeded order (the package stores them by digit), labels and one-hot targets. */
export function mnistRows(rows) {
  const all = loadMnist();
  if (all.rows !== MNIST_ROWS) throw new Error(`the mnist package has ${all.rows} images, expected ${MNIST_ROWS}`);
  const order = seededOrder(all.rows, 2024);
  const x = new Float32Array(rows * MLP.inputs);
  const y = new Int32Array(rows);
  const onehot = new Float32Array(rows * MLP.classes);
  for (let r = 0; r < rows; r++) {
    x.set(all.x.subarray(order[r] * MLP.inputs, (order[r] + 1) * MLP.inputs), r * MLP.inputs);
    y[r] = all.y[order[r]];
    onehot[r * MLP.classes + y[r]] = 1;
  }
  return { x, y, onehot, rows };
}

/** Mean softmax cross-entropy of `weights` on the first EVALUATION_ROWS rows, in float64. */
export function float64Loss(weights, data) {
  const { inputs, hidden, classes } = MLP;
  const [w1, b1, w2, b2] = ['0.weight', '0.bias', '1.weight', '1.bias'].map((n) => weights[n]);
  const rows = Math.min(EVALUATION_ROWS, data.rows);
  const h = new Float64Array(hidden);
  const z = new Float64Array(classes);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * inputs;
    for (let u = 0; u < hidden; u++) {
      let s = b1[u];
      for (let q = 0; q < inputs; q++) s += data.x[o + q] * w1[u * inputs + q];
      h[u] = Math.max(0, s);
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = b2[c];
      for (let u = 0; u < hidden; u++) s += h[u] * w2[c * hidden + u];
      z[c] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - max);
    total += max + Math.log(sum) - z[data.y[r]];
  }
  return total / rows;
}

// ---------------------------------------------------------------------------------------------
// Implementations: create(weights, data) → { epoch(), weights(), dispose() }, each epoch over data.rows in order.

function descent(worker) {
  return async (weights, data) => {
    const trainer = await createTrainer(SPEC, { worker });
    await trainer.setWeights(weights);
    const fit = { epochs: 1, batchSize: MLP.batchSize, shuffle: false };
    return {
      epoch: () => trainer.fit(data.x, data.y, fit),
      // the worker path for data the caller no longer needs: x and y moved (transferred), not copied
      ...(worker ? { epochTransfer: () => trainer.fit(data.x.slice(), data.y.slice(), { ...fit, transfer: true }) } : {}),
      weights: () => trainer.getWeights(),
      dispose: () => trainer.dispose(),
    };
  };
}

const transposed = (values, rows, cols) => tf.tidy(() => tf.transpose(tf.tensor2d(values, [rows, cols])));

/** descent's weights as tfjs likes them: kernels [in, out] (descent's [out, in] transposed), biases as they are. */
function tfjsTensors(weights) {
  return [
    transposed(weights['0.weight'], MLP.hidden, MLP.inputs), tf.tensor1d(weights['0.bias']),
    transposed(weights['1.weight'], MLP.classes, MLP.hidden), tf.tensor1d(weights['1.bias']),
  ];
}

/** Kernels [in, out] and biases read back into descent's layout. */
function descentWeights(tensors) {
  const [w1, b1, w2, b2] = tensors.map((t) => t.dataSync().slice());
  const back = (values, inputs, outputs) => {
    const out = new Float32Array(values.length);
    for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) out[o * inputs + i] = values[i * outputs + o];
    return out;
  };
  return { '0.weight': back(w1, MLP.inputs, MLP.hidden), '0.bias': b1, '1.weight': back(w2, MLP.hidden, MLP.classes), '1.bias': b2 };
}

function tfjsMinimize(backend) {
  return async (weights, data) => {
    await useBackend(backend);
    const variables = tfjsTensors(weights).map((t) => {
      const variable = tf.variable(t);
      t.dispose();
      return variable;
    });
    const [w1, b1, w2, b2] = variables;
    const xs = tf.tensor2d(data.x, [data.rows, MLP.inputs]);
    const ys = tf.tensor2d(data.onehot, [data.rows, MLP.classes]);
    const optimizer = tf.train.adam(MLP.learningRate, MLP.beta1, MLP.beta2, MLP.epsilon);
    const forward = (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
    let tensors = null; // after the first step, when Adam's slots exist
    return {
      async epoch() {
        await useBackend(backend);
        for (let start = 0; start < data.rows; start += MLP.batchSize) {
          const rows = Math.min(MLP.batchSize, data.rows - start);
          tf.tidy(() => {
            const xb = tf.slice(xs, [start, 0], [rows, MLP.inputs]);
            const yb = tf.slice(ys, [start, 0], [rows, MLP.classes]);
            optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(xb)), false, variables);
          });
          if (tensors === null) tensors = tf.memory().numTensors;
        }
        checkNoLeak(tensors, `MLP minimize loop on tfjs ${backend}`);
      },
      weights: async () => descentWeights(variables),
      dispose() {
        optimizer.dispose();
        tf.dispose([xs, ys, ...variables]);
      },
    };
  };
}

function tfjsLayers(backend) {
  return async (weights, data) => {
    await useBackend(backend);
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: MLP.hidden, activation: 'relu', inputShape: [MLP.inputs] }),
        tfl.layers.dense({ units: MLP.classes }),
      ],
    });
    const initial = tfjsTensors(weights);
    model.setWeights(initial);
    tf.dispose(initial);
    model.compile({
      optimizer: tf.train.adam(MLP.learningRate, MLP.beta1, MLP.beta2, MLP.epsilon),
      loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits),
    });
    const xs = tf.tensor2d(data.x, [data.rows, MLP.inputs]);
    const ys = tf.tensor2d(data.onehot, [data.rows, MLP.classes]);
    let tensors = null;
    return {
      async epoch() {
        await useBackend(backend);
        await model.fit(xs, ys, { epochs: 1, batchSize: MLP.batchSize, shuffle: false, verbose: 0 });
        if (tensors === null) tensors = tf.memory().numTensors;
        checkNoLeak(tensors, `MLP layers.fit on tfjs ${backend}`);
      },
      weights: async () => descentWeights(model.getWeights()),
      dispose() {
        model.optimizer.dispose();
        model.dispose();
        tf.dispose([xs, ys]);
      },
    };
  };
}

async function plainJs(weights, data) {
  const mlp = new PlainMlp(weights, MLP);
  return { epoch: () => mlp.epoch(data.x, data.y, data.rows), weights: () => mlp.weights(), dispose() {} };
}

/** Every implementation, by the name the tables use. */
export const IMPLEMENTATIONS = {
  'plain JS': plainJs,
  'tfjs-cpu minimize loop': tfjsMinimize('cpu'),
  'tfjs-wasm minimize loop': tfjsMinimize('wasm'),
  'tfjs-wasm layers.fit': tfjsLayers('wasm'),
  'descent in-thread': descent(false),
  'descent in a worker': descent(true),
};

/** descent's seeded initial weights, which every implementation starts from. */
export async function initialWeights() {
  const trainer = await createTrainer(SPEC, { worker: false });
  const weights = trainer.getWeights();
  await trainer.dispose();
  return weights;
}

/** Trains one epoch with every implementation from the same weights (final losses must agree), then times epochs. */
export async function runMlpBenchmarks({ quick = false } = {}) {
  const data = mnistRows(quick ? 1024 : MNIST_ROWS);
  const rows = data.rows;
  const init = await initialWeights();
  const initialLoss = float64Loss(init, data);
  const results = [];
  for (const [name, create] of Object.entries(IMPLEMENTATIONS)) {
    if (quick && name.startsWith('tfjs-cpu')) continue; // seconds an epoch: full runs only
    progress(`mlp: ${name}`);
    const model = await create(init, data);
    try {
      const started = performance.now();
      await model.epoch(); // from the shared initial weights; also the warm-up
      const firstEpochMs = performance.now() - started;
      const finalLoss = float64Loss(await model.weights(), data);
      const time = await timeCase(() => model.epoch(), { seconds: quick ? 0.3 : 3, warmup: 0, minSamples: quick ? 1 : 2, maxSamples: 20 });
      results.push({ impl: name, firstEpochMs, finalLoss, time, samplesPerSecond: (rows / time.medianMs) * 1000 });
    } finally {
      await model.dispose();
    }
  }
  const losses = results.map((r) => r.finalLoss);
  const spread = (Math.max(...losses) - Math.min(...losses)) / Math.min(...losses);
  const agreement = { initialLoss, steps: Math.ceil(rows / MLP.batchSize), evaluationRows: Math.min(EVALUATION_ROWS, rows), spread, tolerance: LOSS_RTOL };
  if (!(spread <= LOSS_RTOL)) {
    throw new Error(`MLP final losses disagree by ${spread.toExponential(2)} (tolerance ${LOSS_RTOL}): ` +
      results.map((r) => `${r.impl} ${r.finalLoss}`).join(', '));
  }
  const tfjsWasm = results.filter((r) => r.impl.startsWith('tfjs-wasm'));
  const fastest = tfjsWasm.reduce((a, b) => (a.time.medianMs <= b.time.medianMs ? a : b));
  const targets = ['descent in-thread', 'descent in a worker'].map((impl) => {
    const r = results.find((x) => x.impl === impl);
    return { target: `MLP ${impl} ≥ 5× the fastest tfjs-wasm variant (${fastest.impl})`, measured: fastest.time.medianMs / r.time.medianMs, goal: 5 };
  });
  return { rows, batchSize: MLP.batchSize, agreement, results, fastestTfjsWasm: fastest.impl, targets };
}

/** The markdown table of the MLP suite and its agreement line. */
export function mlpTable({ rows, results, agreement }) {
  const byName = Object.fromEntries(results.map((r) => [r.impl, r.time]));
  const fastest = results.filter((r) => r.impl.startsWith('tfjs-wasm')).reduce((a, b) => (a.time.medianMs <= b.time.medianMs ? a : b));
  const table = markdownTable(
    ['implementation', `epoch of ${rows} rows, median (min–max)`, 'samples/s', 'first epoch', `final loss (${agreement.steps} steps)`,
      '× plain JS', '× tfjs-cpu', '× fastest tfjs-wasm'],
    results.map((r) => [r.impl, formatTiming(r.time), Math.round(r.samplesPerSecond).toLocaleString('en-US'), formatMs(r.firstEpochMs),
      r.finalLoss.toFixed(6), formatRatio(r.time, byName['plain JS']), formatRatio(r.time, byName['tfjs-cpu minimize loop']), formatRatio(r.time, fastest.time)]),
  );
  return `${table}\n\nAgreement: from the same initial weights (loss ${agreement.initialLoss.toFixed(6)}) and the same batch order, the losses after ` +
    `${agreement.steps} Adam steps (float64 evaluation on the first ${agreement.evaluationRows} rows) differ by at most ` +
    `${agreement.spread.toExponential(2)} relative (tolerance ${agreement.tolerance}). Fastest tfjs-wasm variant: ${fastest.impl}.`;
}
