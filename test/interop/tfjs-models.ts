// Small tfjs-layers models of every layer kind importTfjsModel maps, trained a few steps by tfjs on
// seeded data and saved with tfjs's own IO handler (tf.io.withSaveHandler: the artifacts a file,
// IndexedDB or localStorage handler would store). Shared by the Node and browser interop tests.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export { tf, tfl };
export { maxDifference, random } from './numbers.js';
import { random } from './numbers.js';

export interface Case {
  name: string;
  build(): tfl.LayersModel;
  /** A function: tfjs optimizers need a backend when made. */
  compile: () => tfl.ModelCompileArgs;
  /** Row shape of x (without the batch axis) and how to make the targets. */
  inputShape: number[];
  /** 'ids': x is integer token ids in [0, vocab) */
  ids?: number;
  target: 'classes' | 'onehot' | 'binary' | 'regression';
  outputs: number;
  includeOptimizer: boolean;
  /** false: tfjs cannot train it (no gradient for a dilated conv): compared at its initial weights. */
  tfjsTrains?: false;
  /** A sequence output [positions, outputs]: class targets one per position. */
  positions?: number;
}

const L = tfl.layers;

export const CASES: Case[] = [
  {
    name: 'dense (relu, dropout, softmax; sparse CE, adam)',
    build: () => tfl.sequential({ layers: [
      L.dense({ inputShape: [5], units: 8, activation: 'relu' }), L.dropout({ rate: 0.2 }), L.dense({ units: 3, activation: 'softmax' }),
    ] }),
    compile: () => ({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' }),
    inputShape: [5], target: 'classes', outputs: 3, includeOptimizer: true,
  },
  {
    name: 'dense (tanh, activation layers, leaky relu, l2; mse, momentum)',
    build: () => tfl.sequential({ layers: [
      L.dense({ inputShape: [4], units: 6, activation: 'tanh', kernelRegularizer: tfl.regularizers.l2({ l2: 0.01 }) }),
      L.dense({ units: 5 }), L.leakyReLU({ alpha: 0.01 }), L.dense({ units: 5, useBias: false }), L.activation({ activation: 'sigmoid' }),
      L.dense({ units: 2 }),
    ] }),
    compile: () => ({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'meanSquaredError' }),
    inputShape: [4], target: 'regression', outputs: 2, includeOptimizer: true,
  },
  {
    name: 'conv2d (same, strided same, batchnorm, max/avg pool, flatten; categorical CE)',
    build: () => tfl.sequential({ layers: [
      L.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      L.averagePooling2d({ poolSize: [1, 2], strides: 1 }),
      L.flatten(), L.dense({ units: 3, activation: 'softmax' }),
    ] }),
    compile: () => ({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' }),
    inputShape: [10, 10, 2], target: 'onehot', outputs: 3, includeOptimizer: true,
  },
  {
    name: 'conv1d (dilation, max pool same, avg pool, global avg pool; binary CE, no training config)',
    build: () => tfl.sequential({ layers: [
      L.conv1d({ inputShape: [13, 3], filters: 4, kernelSize: 3, dilationRate: 2, activation: 'relu' }),
      L.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
      L.averagePooling1d({ poolSize: 2 }),
      L.globalAveragePooling1d(), L.dense({ units: 1, activation: 'sigmoid' }),
    ] }),
    compile: () => ({ optimizer: 'rmsprop', loss: 'binaryCrossentropy' }),
    inputShape: [13, 3], target: 'binary', outputs: 1, includeOptimizer: false, tfjsTrains: false,
  },
  {
    name: 'embedding (layernorm, conv1d, global avg pool; sparse CE)',
    build: () => tfl.sequential({ layers: [
      L.embedding({ inputDim: 20, outputDim: 6, inputLength: 7 }),
      L.layerNormalization({ epsilon: 1e-3 }),
      L.conv1d({ filters: 5, kernelSize: 2, activation: 'relu' }),
      L.globalAveragePooling1d(), L.dense({ units: 4, activation: 'softmax' }),
    ] }),
    compile: () => ({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy' }),
    inputShape: [7], ids: 20, target: 'classes', outputs: 4, includeOptimizer: true,
  },
  {
    name: 'image head (global avg pool 2d, batchnorm on features, dense softmax)',
    build: () => tfl.sequential({ layers: [
      L.conv2d({ inputShape: [6, 6, 1], filters: 6, kernelSize: 2, activation: 'tanh' }),
      L.globalAveragePooling2d({}), L.batchNormalization({}), L.dense({ units: 3, activation: 'softmax' }),
    ] }),
    compile: () => ({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' }),
    inputShape: [6, 6, 1], target: 'classes', outputs: 3, includeOptimizer: true,
  },
  {
    name: 'functional: residual dense (Add), Concatenate with the input, a dropout between (sparse CE)',
    build: () => {
      const input = tfl.input({ shape: [5] });
      const a = L.dense({ units: 4, activation: 'tanh' }).apply(input) as tfl.SymbolicTensor;
      const b = L.dense({ units: 4 }).apply(L.dropout({ rate: 0.1 }).apply(a)) as tfl.SymbolicTensor;
      const joined = L.concatenate().apply([L.add().apply([a, b]) as tfl.SymbolicTensor, input]) as tfl.SymbolicTensor;
      return tfl.model({ inputs: input, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(joined) as tfl.SymbolicTensor });
    },
    compile: () => ({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' }),
    inputShape: [5], target: 'classes', outputs: 3, includeOptimizer: true,
  },
  {
    name: 'functional: residual CNN with a frozen conv base (trainable: false), channels joined (mse)',
    build: () => {
      const input = tfl.input({ shape: [6, 6, 2] });
      const base = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', trainable: false }).apply(input) as tfl.SymbolicTensor;
      const branch = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(base) as tfl.SymbolicTensor;
      const sum = L.add().apply([base, branch]) as tfl.SymbolicTensor;
      const joined = L.concatenate({ axis: 3 }).apply([sum, input]) as tfl.SymbolicTensor;
      const pooled = L.globalAveragePooling2d({}).apply(joined) as tfl.SymbolicTensor;
      return tfl.model({ inputs: input, outputs: L.dense({ units: 2 }).apply(pooled) as tfl.SymbolicTensor });
    },
    compile: () => ({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' }),
    inputShape: [6, 6, 2], target: 'regression', outputs: 2, includeOptimizer: false,
  },
  {
    // tfjs's LSTM defaults are hard_sigmoid gates (refused: torch's are sigmoid) and an orthogonal
    // recurrent init that crashes in tfjs 4.22 (`rMat.flatten is not a function`): both set here
    name: 'lstm (stacked: every step, then the last step; sparse CE)',
    build: () => tfl.sequential({ layers: [
      L.lstm({ inputShape: [6, 3], units: 5, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }),
      L.lstm({ units: 4, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }),
      L.dense({ units: 3, activation: 'softmax' }),
    ] }),
    compile: () => ({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' }),
    inputShape: [6, 3], target: 'classes', outputs: 3, includeOptimizer: true,
  },
  {
    name: 'embedding → lstm (every step, no bias, flatten; mse)',
    build: () => tfl.sequential({ layers: [
      L.embedding({ inputDim: 12, outputDim: 4, inputLength: 5 }),
      L.lstm({ units: 3, returnSequences: true, useBias: false, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }),
      L.flatten(), L.dense({ units: 2 }),
    ] }),
    compile: () => ({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' }),
    inputShape: [5], ids: 12, target: 'regression', outputs: 2, includeOptimizer: false,
  },
  {
    // Keras' Dense on [T, C] acts on the last axis: descent's dense per position, targets [N, T]
    name: 'lstm → dense per position (every step; sparse CE per position)',
    build: () => tfl.sequential({ layers: [
      L.lstm({ inputShape: [5, 2], units: 4, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }),
      L.dense({ units: 3, activation: 'softmax' }),
    ] }),
    compile: () => ({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' }),
    inputShape: [5, 2], target: 'classes', outputs: 3, positions: 5, includeOptimizer: true,
  },
];

/** Seeded data for a case: x as descent takes it (Float32Array or Int32Array ids) and y. */
export function dataFor(c: Case, rows: number, seed: number): { x: Float32Array | Int32Array; y: Float32Array | Int32Array } {
  const next = random(seed);
  const size = c.inputShape.reduce((a, b) => a * b, 1);
  const x = c.ids ? Int32Array.from({ length: rows * size }, () => Math.floor(((next() + 1) / 2) * c.ids!)) : Float32Array.from({ length: rows * size }, next);
  // targets from a fixed function of x, so that there is something to learn
  const score = (r: number, k: number) => {
    let s = 0;
    for (let j = 0; j < size; j++) s += Number(x[r * size + j]) * Math.sin(1 + j * (k + 1));
    return s;
  };
  if (c.positions) {
    // a class per position, from that position's features
    const width = size / c.positions;
    return { x, y: Int32Array.from({ length: rows * c.positions }, (_v, i) => {
      let s = 0;
      for (let j = 0; j < width; j++) s += Number(x[i * width + j]) * (j + 1);
      return Math.min(c.outputs - 1, Math.floor(((Math.tanh(s) + 1) / 2) * c.outputs));
    }) };
  }
  if (c.target === 'classes' || c.target === 'onehot') {
    const labels = Int32Array.from({ length: rows }, (_v, r) => {
      let best = 0;
      for (let k = 1; k < c.outputs; k++) if (score(r, k) > score(r, best)) best = k;
      return best;
    });
    if (c.target === 'classes') return { x, y: labels };
    const onehot = new Float32Array(rows * c.outputs);
    labels.forEach((label, r) => { onehot[r * c.outputs + label] = 1; });
    return { x, y: onehot };
  }
  if (c.target === 'binary') return { x, y: Float32Array.from({ length: rows }, (_v, r) => (score(r, 0) > 0 ? 1 : 0)) };
  return { x, y: Float32Array.from({ length: rows * c.outputs }, (_v, i) => Math.tanh(score(Math.floor(i / c.outputs), i % c.outputs) / 4)) };
}

/** x as a tfjs tensor of [rows, ...inputShape]. */
export function tensorOf(c: Case, x: Float32Array | Int32Array): tf.Tensor {
  const rows = x.length / c.inputShape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from(x), [rows, ...c.inputShape], c.ids ? 'int32' : 'float32');
}

/** Builds, compiles and trains the case's model with tfjs for a few epochs (seeded data), in tfjs's own loop. */
export async function trainedModel(c: Case, rows = 48): Promise<tfl.LayersModel> {
  const model = c.build();
  model.compile(c.compile());
  const { x, y } = dataFor(c, rows, 7);
  const xs = tensorOf(c, x);
  const ys = c.positions ? tf.tensor(Array.from(y), [rows, c.positions, 1])
    : c.target === 'classes' ? tf.tensor(Array.from(y), [rows, 1]) : tf.tensor(Array.from(y), [rows, c.outputs]);
  if (c.tfjsTrains !== false) await model.fit(xs, ys, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
  xs.dispose();
  ys.dispose();
  return model;
}

/** What tfjs's IO handlers receive on model.save (model.json contents + weight bytes). */
export async function savedArtifacts(model: tfl.LayersModel, includeOptimizer: boolean): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }), { includeOptimizer });
  return saved!;
}

/** The model.json file tfjs's file handlers write for `artifacts` (weights in one file). */
export function modelJsonOf(artifacts: tf.io.ModelArtifacts): Record<string, unknown> {
  return {
    modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy, ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    weightsManifest: [{ paths: ['./model.weights.bin'], weights: artifacts.weightSpecs }],
  };
}

