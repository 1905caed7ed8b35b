// Every layer type, one row each: a small network around the layer is checked on every build (relaxed, simd, scalar)
// against the float64 reference network (test/reference/network.ts): forward outputs, the whole
// gradient against central differences, and the checkpoint tensors (names and torch shapes).
// A new layer type adds its module under src/model/layers/, its reference in LAYER_REFERENCES and
// a row here.
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, type TrainerSpec } from '../src/index.js';
import { centralDifferences } from './reference/gradcheck.js';
import { referenceForward, referenceObjective } from './reference/network.js';
import { BUILDS } from './reference/builds.js';

interface LayerCase {
  /** The input row shape (default [5]). */
  inputShape?: number[];
  /** The layers of the network around the layer under test (mse loss on 3 outputs). */
  layers: LayerSpec[];
  /** Checkpoint tensors the network has, with torch's shapes. */
  tensors: Record<string, number[]>;
}

const LAYER_CASES: Record<string, LayerCase> = {
  'dense (tanh, no bias, l1 + l2)': {
    layers: [{ units: 4, activation: 'tanh', useBias: false, l1: 0.01, l2: 0.02 }, { units: 3 }],
    tensors: { '0.weight': [4, 5], '1.weight': [3, 4], '1.bias': [3] },
  },
  'dropout (identity at inference; rate 0 in training)': {
    layers: [{ units: 4, activation: 'gelu' }, { type: 'dropout', rate: 0 }, { units: 3 }],
    tensors: { '0.weight': [4, 5], '0.bias': [4], '2.weight': [3, 4], '2.bias': [3] },
  },
  'activation (sigmoid between two linear layers)': {
    layers: [{ units: 4 }, { type: 'activation', activation: 'sigmoid' }, { units: 3 }],
    tensors: { '0.weight': [4, 5], '0.bias': [4], '2.weight': [3, 4], '2.bias': [3] },
  },
  'flatten ([2, 3, 2] rows, then dense)': {
    inputShape: [2, 3, 2],
    layers: [{ type: 'flatten' }, { units: 4, activation: 'tanh' }, { units: 3 }],
    tensors: { '1.weight': [4, 12], '1.bias': [4], '2.weight': [3, 4], '2.bias': [3] },
  },
  'flatten channelsFirst ([2, 3, 2] rows in (C, H, W) order, then dense)': {
    inputShape: [2, 3, 2],
    layers: [{ type: 'flatten', dataFormat: 'channelsFirst' }, { units: 4, activation: 'tanh' }, { units: 3 }],
    tensors: { '1.weight': [4, 12], '1.bias': [4], '2.weight': [3, 4], '2.bias': [3] },
  },
  'flatten channelsFirst ([4, 3] sequences after a conv1d, then dense)': {
    inputShape: [4, 2],
    layers: [{ type: 'conv1d', filters: 3, kernelSize: 2, padding: 'same', activation: 'relu' }, { type: 'flatten', dataFormat: 'channelsFirst' }, { units: 3 }],
    tensors: { '0.weight': [3, 2, 2], '0.bias': [3], '2.weight': [3, 12], '2.bias': [3] },
  },
  'activation (softmax over the last axis of [3, 2] rows)': {
    inputShape: [3, 2],
    layers: [{ type: 'activation', activation: 'softmax' }, { type: 'flatten' }, { units: 3 }],
    tensors: { '2.weight': [3, 6], '2.bias': [3] },
  },
  'activation (log_softmax as the last layer)': {
    layers: [{ units: 3, activation: 'relu' }, { units: 3 }, { type: 'activation', activation: 'log_softmax' }],
    tensors: { '0.weight': [3, 5], '0.bias': [3], '1.weight': [3, 3], '1.bias': [3] },
  },
  'maxpool2d ([5, 4, 3] rows, pool 2, stride 1: overlapping windows)': {
    inputShape: [5, 4, 3],
    layers: [{ type: 'maxpool2d', poolSize: 2, stride: 1 }, { type: 'flatten' }, { units: 3 }],
    tensors: { '2.weight': [3, 36], '2.bias': [3] },
  },
  'maxpool2d ([4, 4, 5] rows, pool 3, stride 2, padding 1)': {
    inputShape: [4, 4, 5],
    layers: [{ type: 'maxpool2d', poolSize: 3, stride: 2, padding: 1 }, { type: 'flatten' }, { units: 3 }],
    tensors: { '2.weight': [3, 20], '2.bias': [3] },
  },
  'avgpool2d ([5, 5, 1] rows, pool [3, 2], stride [2, 1], padding [1, 1]: zeros counted)': {
    inputShape: [5, 5, 1],
    layers: [{ type: 'avgpool2d', poolSize: [3, 2], stride: [2, 1], padding: [1, 1] }, { type: 'flatten' }, { units: 3 }],
    tensors: { '2.weight': [3, 18], '2.bias': [3] },
  },
  'maxpool1d ([7, 5] rows, pool 3, stride 2)': {
    inputShape: [7, 5],
    layers: [{ type: 'maxpool1d', poolSize: 3, stride: 2 }, { type: 'flatten' }, { units: 3 }],
    tensors: { '2.weight': [3, 15], '2.bias': [3] },
  },
  'avgpool1d ([6, 3] rows, pool 2, stride 3, padding 1)': {
    inputShape: [6, 3],
    layers: [{ type: 'avgpool1d', poolSize: 2, stride: 3, padding: 1 }, { type: 'flatten' }, { units: 3 }],
    tensors: { '2.weight': [3, 9], '2.bias': [3] },
  },
  'globalavgpool ([4, 5, 3] rows, then dense)': {
    inputShape: [4, 5, 3],
    layers: [{ type: 'globalavgpool' }, { units: 4, activation: 'tanh' }, { units: 3 }],
    tensors: { '1.weight': [4, 3], '1.bias': [4], '2.weight': [3, 4], '2.bias': [3] },
  },
  'globalavgpool ([6, 5] sequences) after avgpool1d, then dense': {
    inputShape: [6, 5],
    layers: [{ type: 'avgpool1d', poolSize: 2 }, { type: 'globalavgpool' }, { units: 3 }],
    tensors: { '2.weight': [3, 5], '2.bias': [3] },
  },
  'maxpool2d then globalavgpool ([3, 5, 1] rows, pool [2, 3], stride [1, 2])': {
    inputShape: [3, 5, 1],
    layers: [{ type: 'maxpool2d', poolSize: [2, 3], stride: [1, 2] }, { type: 'globalavgpool' }, { units: 3 }],
    tensors: { '2.weight': [3, 1], '2.bias': [3] },
  },
  'layernorm (7 channels after dense, eps 1e-3)': {
    layers: [{ units: 7, activation: 'tanh' }, { type: 'layernorm', eps: 1e-3 }, { units: 3 }],
    tensors: { '0.weight': [7, 5], '0.bias': [7], '1.weight': [7], '1.bias': [7], '2.weight': [3, 7], '2.bias': [3] },
  },
  'layernorm ([4, 5] rows: 5 channels at 4 positions, then dense and a second layernorm of 3)': {
    inputShape: [4, 5],
    layers: [{ type: 'layernorm' }, { type: 'flatten' }, { units: 3, activation: 'sigmoid' }, { type: 'layernorm' }],
    tensors: { '0.weight': [5], '0.bias': [5], '2.weight': [3, 20], '2.bias': [3], '3.weight': [3], '3.bias': [3] },
  },
  'layernorm ([2, 3, 1] rows: 1 channel, the output is the bias)': {
    inputShape: [2, 3, 1],
    layers: [{ type: 'layernorm' }, { type: 'flatten' }, { units: 3 }],
    tensors: { '0.weight': [1], '0.bias': [1], '2.weight': [3, 6], '2.bias': [3] },
  },
  'conv2d (1 channel → 5 filters, 3×3 valid, tanh)': {
    inputShape: [5, 5, 1],
    layers: [{ type: 'conv2d', filters: 5, kernelSize: 3, activation: 'tanh' }, { type: 'flatten' }, { units: 3 }],
    tensors: { '0.weight': [5, 1, 3, 3], '0.bias': [5], '2.weight': [3, 45], '2.bias': [3] },
  },
  'conv2d (3 → 7 filters, [3, 2] kernel, stride 2, padding 1, after a conv2d: its input gradient)': {
    inputShape: [5, 6, 3],
    layers: [
      { type: 'conv2d', filters: 5, kernelSize: 3, padding: 'same', activation: 'tanh' },
      { type: 'conv2d', filters: 7, kernelSize: [3, 2], stride: 2, padding: 1, activation: 'sigmoid' },
      { type: 'flatten' }, { units: 3 },
    ],
    tensors: { '0.weight': [5, 3, 3, 3], '0.bias': [5], '1.weight': [7, 5, 3, 2], '1.bias': [7], '3.weight': [3, 84], '3.bias': [3] },
  },
  'conv2d (3 channels, dilation 2, same with [2, 3] kernel, stride [2, 1] padding [0, 2], no bias, gelu)': {
    inputShape: [5, 4, 3],
    layers: [
      { type: 'activation', activation: 'tanh' },
      { type: 'conv2d', filters: 5, kernelSize: [2, 3], dilation: 2, padding: 'same', activation: 'gelu', useBias: false },
      { type: 'conv2d', filters: 3, kernelSize: [2, 1], stride: [2, 1], padding: [0, 2] },
      { type: 'flatten' }, { units: 3 },
    ],
    tensors: { '1.weight': [5, 3, 2, 3], '2.weight': [3, 5, 2, 1], '2.bias': [3], '4.weight': [3, 48], '4.bias': [3] },
  },
  'conv1d (1 channel → 5 filters, k 3 valid, tanh)': {
    inputShape: [7, 1],
    layers: [{ type: 'conv1d', filters: 5, kernelSize: 3, activation: 'tanh' }, { type: 'flatten' }, { units: 3 }],
    tensors: { '0.weight': [5, 1, 3], '0.bias': [5], '2.weight': [3, 25], '2.bias': [3] },
  },
  'conv1d (3 → 5 same with k 4: asymmetric padding; → 7 filters, stride 2, padding 1)': {
    inputShape: [9, 3],
    layers: [
      { type: 'conv1d', filters: 5, kernelSize: 4, padding: 'same', activation: 'tanh' },
      { type: 'conv1d', filters: 7, kernelSize: 3, stride: 2, padding: 1, activation: 'leaky_relu' },
      { type: 'flatten' }, { units: 3 },
    ],
    tensors: { '0.weight': [5, 3, 4], '0.bias': [5], '1.weight': [7, 5, 3], '1.bias': [7], '3.weight': [3, 35], '3.bias': [3] },
  },
  'conv1d (3 channels, dilation 2, same, no bias, softmax over filters)': {
    inputShape: [8, 3],
    layers: [
      { type: 'activation', activation: 'sigmoid' },
      { type: 'conv1d', filters: 5, kernelSize: [3], dilation: 2, padding: 'same', activation: 'softmax', useBias: false },
      { type: 'flatten' }, { units: 3 },
    ],
    tensors: { '1.weight': [5, 3, 3], '3.weight': [3, 40], '3.bias': [3] },
  },
};

const rows = 6;
const y = Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(0.7 * i));
const asNumbers = (weights: Record<string, Float32Array>) => Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)]));

describe.each(BUILDS)('layer types (%s build)', (build) => {
  it.each(Object.entries(LAYER_CASES))('%s', async (_name, { inputShape = [5], layers, tensors }) => {
    const spec: TrainerSpec = { inputShape, layers, loss: 'mse', optimizer: { name: 'sgd', learningRate: 1 }, seed: 9 };
    const x = Float32Array.from({ length: rows * inputShape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(1.3 * i + 0.4));
    const t = await createTrainer(spec, { worker: false, build });
    const weights = t.getWeights();
    expect(Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v.length]))).toEqual(
      Object.fromEntries(Object.entries(tensors).map(([k, shape]) => [k, shape.reduce((a, b) => a * b, 1)])),
    );
    const saved = await t.save();
    const header = JSON.parse(new TextDecoder().decode(saved.subarray(8, 8 + Number(new DataView(saved.buffer).getBigUint64(0, true)))));
    for (const [name, shape] of Object.entries(tensors)) expect(header[name].shape, name).toEqual(shape);

    // forward: predict's raw outputs against the float64 network
    const w64 = asNumbers(weights);
    const got = await t.predict(x, { raw: true });
    referenceForward(spec, w64, x).flat().forEach((want, i) => expect(Math.abs(got[i]! - want), `output ${i}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(want)));

    // backward: one full-batch SGD step with learning rate 1 moves each parameter by −∂loss/∂p
    await t.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false });
    const after = t.getWeights();
    await t.dispose();
    const { worst, scale } = centralDifferences(w64, (name, i) => weights[name]![i]! - after[name]![i]!, () => referenceObjective(spec, w64, x, y), 1e-6);
    // float32 forward and backward through three layers: ~1e-4 of the largest component
    expect(worst).toBeLessThan(2e-4 * scale + 1e-6);
    expect(scale).toBeGreaterThan(1e-3); // the check saw real gradients
  });
});

describe('layer specs', () => {
  const base: TrainerSpec = { inputSize: 4, layers: [{ units: 2 }], loss: 'mse', optimizer: 'sgd' };
  it.each([
    [[{ type: 'conv9d', units: 3 }], /layers\[0\]\.type must be one of 'dense', 'dropout', 'activation', 'flatten'.*; got "conv9d"/],
    [[{ type: 'activation' }, { units: 2 }], /layers\[0\]\.activation must be one of 'linear', 'relu', .*got undefined/],
    [[{ type: 'activation', activation: 'swish' }, { units: 2 }], /layers\[0\]\.activation must be one of .*got "swish"/],
    [[{ type: 'activation', activation: 'relu', units: 3 }, { units: 2 }], /unknown option "units" in layers\[0\]; it takes type, activation/],
    [[{ type: 'activation', activation: 'relu' }], /layers must contain at least one layer with parameters \(dense\), got only activation layers/],
    [[{ type: 'flatten', dataFormat: 'nchw' }, { units: 2 }], /layers\[0\]\.dataFormat must be one of 'channelsLast', 'channelsFirst'; got "nchw"/],
  ])('%j is refused naming the layer', async (layers, message) => {
    await expect(createTrainer({ ...base, layers: layers as LayerSpec[] }, { worker: false })).rejects.toThrow(message);
  });

  it.each([
    [{ inputShape: [4, 4, 1], layers: [{ units: 2 }] }, /layers\[0\] \(dense\) needs a flat input \[n\] or a sequence \[T, n\]: add \{ type: 'flatten' \} or \{ type: 'globalavgpool' \} before it, got shape \[4, 4, 1\]/],
    [{ inputShape: [4, 4, 1], layers: [{ type: 'flatten' }, { units: 2 }, { type: 'activation', activation: 'relu' }], inputSize: 16 }, /give inputShape or inputSize, not both/],
    [{ inputShape: [4, 0], layers: [{ units: 2 }] }, /inputShape must be 1 to 3 positive integers .*got \[4, 0\]/],
    [{ inputShape: [2, 2, 2, 2], layers: [{ units: 2 }] }, /inputShape must be 1 to 3 positive integers .*got \[2, 2, 2, 2\]/],
    [{ inputShape: [3, 2], layers: [{ type: 'flatten' }, { units: 2 }, { type: 'activation', activation: 'relu' }] }, null],
  ])('input shapes: %j', async (shapeSpec, message) => {
    const { inputSize: _drop, ...rest } = base;
    const made = createTrainer({ ...rest, ...shapeSpec } as TrainerSpec, { worker: false });
    if (message) await expect(made).rejects.toThrow(message);
    else await (await made).dispose();
  });

  it('a model whose output is neither flat nor a sequence [T, K] is refused', async () => {
    const { inputSize: _drop, ...rest } = base;
    await expect(createTrainer({ ...rest, inputShape: [3, 2, 1], layers: [{ type: 'conv2d', filters: 1, kernelSize: 1 }] } as TrainerSpec, { worker: false }))
      .rejects.toThrow(/the last layer must give a flat output \[K\] or a sequence \[T, K\] for the loss: add \{ type: 'flatten' \} or \{ type: 'globalavgpool' \}, got shape \[3, 2, 1\]/);
  });

  it('x must match inputShape: a clear error before any kernel runs, the trainer unchanged', async () => {
    const { inputSize: _drop, ...rest } = base;
    const t = await createTrainer({ ...rest, inputShape: [2, 3], layers: [{ type: 'flatten' }, { units: 2 }] } as TrainerSpec, { worker: false });
    const before = t.getWeights();
    await expect(t.fit(new Float32Array(13), new Float32Array(4))).rejects.toThrow(/x length must be a positive multiple of inputSize 6, got 13/);
    expect(t.getWeights()).toEqual(before);
    await t.dispose();
  });

  it('summary() lists each layer with its output width, activation and parameter count', async () => {
    const t = await createTrainer({ ...base, layers: [{ units: 3, activation: 'relu' }, { type: 'dropout', rate: 0.5 }, { units: 2 }, { type: 'activation', activation: 'softmax' }] }, { worker: false });
    // the memory line is checked in test/sequence.test.ts
    expect(t.summary().split('\n').filter((line) => !line.startsWith('memory per row')).map((line) => line.split(/ +/).filter(Boolean))).toEqual([
      ['layer', 'type', 'output', 'activation', 'params'],
      ['0', 'dense', '3', 'relu', '15'],
      ['1', 'dropout(0.5)', '3', '0'],
      ['2', 'dense', '2', 'linear', '8'],
      ['3', 'activation', '2', 'softmax', '0'],
      ['total', 'parameters:', '23'],
    ]);
    await t.dispose();
  });
});
