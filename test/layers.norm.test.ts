// Batch normalisation (torch BatchNorm1d/2d over the channel, last, axis) on every build (relaxed, simd, scalar), on [n],
// [T, C] and [H, W, C] rows: the gradient of a training step uses the batch statistics, so it is
// checked here against central differences of the float64 training objective (the rows of
// layers.test.ts check against the inference objective); the running statistics after one step
// against torch's update (unbiased variance, momentum), and predict / evaluate against the running
// statistics. Spec errors of layernorm and batchnorm too (layernorm's own rows are in layers.test.ts).
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, type TrainerSpec } from '../src/index.js';
import { centralDifferences } from './reference/gradcheck.js';
import { batchNormTraining, referenceForward, referenceTrainingForward, referenceTrainingObjective } from './reference/network.js';
import { referenceLoss } from './reference/losses.js';
import { BUILDS } from './reference/builds.js';
import { allocationsOfSecondFit } from './reference/allocations.js';

interface BatchNormCase {
  inputShape: number[];
  layers: LayerSpec[];
  /** Token ids in [0, vocab) instead of float features (an embedding first layer). */
  vocab?: number;
  /** The batchnorm layer's index and its input row shape. */
  at: number;
  shape: number[];
}

const CASES: Record<string, BatchNormCase> = {
  '[n] rows: 7 channels after dense (BatchNorm1d on (N, C)), momentum 0.3': {
    inputShape: [5], layers: [{ units: 7, activation: 'tanh' }, { type: 'batchnorm', momentum: 0.3 }, { units: 3 }], at: 1, shape: [7],
  },
  '[T, C] rows: 5 channels at 4 positions after an embedding (BatchNorm1d on (N, C, L))': {
    inputShape: [4], vocab: 6, layers: [{ type: 'embedding', vocabSize: 6, units: 5 }, { type: 'batchnorm' }, { type: 'flatten' }, { units: 3 }],
    at: 1, shape: [4, 5],
  },
  '[H, W, C] rows: 1 channel (BatchNorm2d), eps 1e-3, first layer': {
    inputShape: [2, 3, 1], layers: [{ type: 'batchnorm', eps: 1e-3 }, { type: 'flatten' }, { units: 3, activation: 'sigmoid' }], at: 0, shape: [2, 3, 1],
  },
  '[H, W, C] rows: 3 channels (BatchNorm2d), then a second batchnorm over [n]': {
    inputShape: [2, 2, 3], layers: [{ type: 'batchnorm', momentum: 1 }, { type: 'flatten' }, { units: 4 }, { type: 'batchnorm', momentum: 0 }, { units: 3 }],
    at: 0, shape: [2, 2, 3],
  },
};

const rows = 6;
const y = Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(0.7 * i));
const asNumbers = (weights: Record<string, Float32Array>) => Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)]));
const STATES = /\.(running_mean|running_var|num_batches_tracked)$/;

/** Weights with every batchnorm's weight, bias and running statistics moved off their initial values. */
function perturbed(weights: Record<string, Float32Array>): Record<string, Float32Array> {
  const out = { ...weights };
  for (const name of Object.keys(weights).filter((n) => n.endsWith('.running_mean'))) {
    const i = name.split('.')[0]!;
    const f = (g: (j: number) => number) => Float32Array.from(weights[name]!, (_, j) => g(j));
    out[`${i}.weight`] = f((j) => 1 + 0.4 * Math.sin(2 * j + 1));
    out[`${i}.bias`] = f((j) => 0.3 * Math.cos(3 * j));
    out[`${i}.running_mean`] = f((j) => 0.2 * Math.sin(j + 1));
    out[`${i}.running_var`] = f((j) => 0.6 + 0.3 * Math.cos(j));
    out[`${i}.num_batches_tracked`] = Float32Array.of(3);
  }
  return out;
}

describe.each(BUILDS)('batchnorm (%s build)', (build) => {
  it.each(Object.entries(CASES))('%s', async (_name, { inputShape, layers, vocab, at, shape }) => {
    const spec: TrainerSpec = { inputShape, layers, loss: 'mse', optimizer: { name: 'sgd', learningRate: 1 }, seed: 9 };
    const size = inputShape.reduce((a, b) => a * b, 1);
    const x = vocab ? Int32Array.from({ length: rows * size }, (_, i) => (i * 7 + (i >> 2)) % vocab)
      : Float32Array.from({ length: rows * size }, (_, i) => Math.sin(1.3 * i + 0.4) + 0.3 * (i % 3));
    const t = await createTrainer(spec, { worker: false, build });
    const C = shape.at(-1)!;
    expect(Object.fromEntries(Object.entries(t.getWeights()).filter(([name]) => name.startsWith(`${at}.`)).map(([k, v]) => [k, Array.from(v)]))).toEqual({
      [`${at}.weight`]: new Array(C).fill(1), [`${at}.bias`]: new Array(C).fill(0),
      [`${at}.running_mean`]: new Array(C).fill(0), [`${at}.running_var`]: new Array(C).fill(1), [`${at}.num_batches_tracked`]: [0],
    });
    t.setWeights(perturbed(t.getWeights()));
    const weights = t.getWeights();
    const w64 = asNumbers(weights);

    // inference (predict, evaluate): the running statistics
    const got = await t.predict(x, { raw: true });
    const want = referenceForward(spec, w64, x);
    want.flat().forEach((v, i) => expect(Math.abs(got[i]! - v), `output ${i}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(v)));
    const mse = referenceLoss('mse', want.flat(), y, { rows, cols: 3 });
    expect((await t.evaluate(x, y)).loss).toBeCloseTo(mse.items.reduce((a, b) => a + b, 0) / mse.divisor, 5);

    // one full-batch training step (SGD, learning rate 1): each parameter moves by −∂loss/∂p of the batch-statistics objective
    const history = await t.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false });
    const after = t.getWeights();
    const trainingLoss = referenceTrainingObjective(spec, w64, x, y);
    expect(history.epochs[0]!.loss).toBeCloseTo(trainingLoss, 5);
    const { worst, scale } = centralDifferences(w64, (name, i) => weights[name]![i]! - after[name]![i]!, () => referenceTrainingObjective(spec, w64, x, y), 1e-6,
      (name) => STATES.test(name));
    expect(worst).toBeLessThan(2e-4 * scale + 1e-6);
    expect(scale).toBeGreaterThan(1e-3);

    // the running statistics moved once, towards the batch's (unbiased variance), as torch's
    spec.layers.forEach((layer, i) => {
      if (!('type' in layer) || layer.type !== 'batchnorm') return;
      const before = referenceTrainingForward({ ...spec, layers: spec.layers.slice(0, i) }, w64, x);
      const layerShape = i === at ? shape : [before[0]!.length];
      const { runningMean, runningVar } = batchNormTraining(layer, before, w64, i, layerShape);
      const close = (a: Float32Array, b: number[], what: string) => b.forEach((v, j) => expect(Math.abs(a[j]! - v), `${what}[${j}]`).toBeLessThan(1e-5 * (1 + Math.abs(v))));
      close(after[`${i}.running_mean`]!, runningMean, `${i}.running_mean`);
      close(after[`${i}.running_var`]!, runningVar, `${i}.running_var`);
      expect(Array.from(after[`${i}.num_batches_tracked`]!)).toEqual([4]);
    });

    // predict after the step: the new running statistics and parameters; twice the same (inference moves nothing)
    const w1 = asNumbers(after);
    const predicted = await t.predict(x, { raw: true });
    referenceForward(spec, w1, x).flat().forEach((v, i) => expect(Math.abs(predicted[i]! - v), `output ${i}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(v)));
    expect(await t.predict(x, { raw: true })).toEqual(predicted);
    expect(t.getWeights()).toEqual(after);
    await t.dispose();
  });
});

describe('batchnorm in training', () => {
  const spec: TrainerSpec = { inputSize: 3, layers: [{ units: 4 }, { type: 'batchnorm' }, { units: 2 }], loss: 'mse', optimizer: 'sgd', seed: 1 };
  const x = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i));
  const y2 = Float32Array.from({ length: 10 }, (_, i) => Math.cos(i));

  it('a fit whose last batch would be one row of [n] (one value per channel) is refused before the first step, naming the layer', async () => {
    const t = await createTrainer(spec, { worker: false });
    const before = t.getWeights();
    await expect(t.fit(x, y2, { epochs: 1, batchSize: 4, shuffle: false })).rejects.toThrow(
      'batchSize 4 over 5 training rows ends each epoch with a batch of 1 row, and layers[1] (batchnorm) needs more than one value per ' +
        'channel in training: choose a batchSize that does not leave 1 row (such as 5) or more rows',
    );
    // nothing was applied: no step, no running statistics moved
    expect(t.getWeights()).toEqual(before);
    await expect(t.fit(x.subarray(0, 3), y2.subarray(0, 2), { epochs: 1, batchSize: 4 })).rejects.toThrow(/over 1 training rows .* choose more rows/);
    // with a validation split the rows that train are what counts: 5 rows − 1 held out = 4, two batches of 2
    await t.fit(x, y2, { epochs: 1, batchSize: 2, shuffle: false, validationSplit: 0.2 });
    await t.dispose();
  });

  it('num_batches_tracked counts training steps (an I64 in the checkpoint); validation and predict move nothing; save → load restores the statistics', async () => {
    const t = await createTrainer(spec, { worker: false });
    await t.fit(x, y2, { epochs: 3, batchSize: 2, shuffle: true, validationSplit: 0.2 });
    expect(Array.from(t.getWeights()['1.num_batches_tracked']!)).toEqual([3 * 2]);
    const bytes = await t.save();
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    expect(header['1.num_batches_tracked']).toMatchObject({ dtype: 'I64', shape: [] });
    expect(header['1.running_var']).toMatchObject({ dtype: 'F32', shape: [4] });
    const again = await createTrainer(bytes, { worker: false });
    expect(again.getWeights()).toEqual(t.getWeights());
    expect(await again.predict(x)).toEqual(await t.predict(x));
    await t.dispose();
    await again.dispose();
  });
});

describe('the hot path with embedding, layernorm and batchnorm', () => {
  it.each(BUILDS)('a batch allocates nothing: allocations per fit do not grow with the batches (%s build)', async (build) => {
    const spec: TrainerSpec = {
      inputShape: [5],
      layers: [{ type: 'embedding', vocabSize: 9, units: 4, paddingIdx: 0 }, { type: 'layernorm' }, { type: 'batchnorm' }, { type: 'flatten' }, { units: 3 }],
      loss: 'softmax_cross_entropy', seed: 2,
    };
    const data = (rows: number) => ({
      x: Int32Array.from({ length: rows * 5 }, (_, i) => (i * 7) % 9),
      y: Int32Array.from({ length: rows }, (_, i) => i % 3),
    });
    const counts = (rows: number) => allocationsOfSecondFit(spec, build, rows, data, { epochs: 1, batchSize: 4 }, { epochs: 3, batchSize: 4, validationSplit: 0.25 });
    expect(await counts(256)).toBe(await counts(32));
  });
});

describe('layernorm and batchnorm specs', () => {
  const base = (layer: Record<string, unknown>): TrainerSpec => ({ inputSize: 4, layers: [{ units: 3 }, layer as unknown as LayerSpec, { units: 2 }], loss: 'mse' });
  it.each([
    [{ type: 'layernorm', eps: 0 }, /layers\[1\]\.eps must be a finite number > 0, got 0/],
    [{ type: 'layernorm', eps: -1e-5 }, /layers\[1\]\.eps must be a finite number > 0, got -0\.00001/],
    [{ type: 'layernorm', eps: '1e-5' }, /layers\[1\]\.eps must be a finite number > 0, got "1e-5"/],
    [{ type: 'layernorm', elementwiseAffine: false }, /unknown option "elementwiseAffine" in layers\[1\]; it takes type, eps/],
    [{ type: 'batchnorm', eps: 0 }, /layers\[1\]\.eps must be a finite number > 0, got 0/],
    [{ type: 'batchnorm', momentum: 1.5 }, /layers\[1\]\.momentum must be a finite number in \[0, 1\], got 1\.5/],
    [{ type: 'batchnorm', momentum: -0.1 }, /layers\[1\]\.momentum must be a finite number in \[0, 1\], got -0\.1/],
    [{ type: 'batchnorm', momentum: null }, /layers\[1\]\.momentum must be a finite number in \[0, 1\], got null/],
    [{ type: 'batchnorm', affine: false }, /unknown option "affine" in layers\[1\]; it takes type, momentum, eps/],
  ])('%j is refused naming the option and the value', async (layer, message) => {
    await expect(createTrainer(base(layer), { worker: false })).rejects.toThrow(message);
  });

  it('summary() lists them with their parameter counts', async () => {
    const t = await createTrainer({ inputShape: [3], layers: [{ type: 'embedding', vocabSize: 10, units: 4 }, { type: 'layernorm' }, { type: 'batchnorm' }, { type: 'flatten' }, { units: 2 }], loss: 'mse' }, { worker: false });
    // the memory line is checked in test/sequence.test.ts
    expect(t.summary().split('\n').filter((line) => !line.startsWith('memory per row')).map((line) => line.split(/ +/).filter(Boolean))).toEqual([
      ['layer', 'type', 'output', 'activation', 'params'],
      ['0', 'embedding', '3×4', '40'],
      ['1', 'layernorm', '3×4', '8'],
      ['2', 'batchnorm', '3×4', '8'],
      ['3', 'flatten', '12', '0'],
      ['4', 'dense', '2', 'linear', '26'],
      ['total', 'parameters:', '82'],
    ]);
    await t.dispose();
  });
});
