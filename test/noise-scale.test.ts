// gradientNoiseScale (McCandlish et al. 2018): on linear regression with Gaussian label noise, where
// the gradient of the whole data set G and the covariance Σ of one row's gradient are computed exactly
// in float64 at the trainer's weights, B = tr(Σ)/|G|² comes out within 30 %; the trainer is left
// exactly as it was (weights, save() bytes, the next fit) on every build, in this thread and in a
// worker, also when stopped; bad options are refused before anything runs.
import { describe, expect, it } from 'vitest';
import { createTrainer, type CreateTrainerOptions, type TrainerSpec } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadIris } from '../data/datasets.mjs';
import { BUILDS as ALL_BUILDS } from './reference/builds.js';
import { expectNextFitAsTwin } from './reference/twin.js';

/** The builds to check (every test below runs on each). */
const BUILDS: CreateTrainerOptions[] = ALL_BUILDS.map((build) => ({ build }));

/** A seeded uniform generator (mulberry32) and standard normals from it (Box–Muller), for the data. */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

// y = w*·x + b* + σ ε with features of different scales; mse over one output, so row i's loss is
// r_i² (r_i = w·x_i + b − y_i) and its gradient g_i = 2 r_i (x_i, 1).
const ROWS = 4096;
const SCALES = [1.5, 1, 0.5];
const D = SCALES.length;
const TRUE_W = [0.8, -0.5, 1.2];
const TRUE_B = 0.3;
const NOISE = 0.5;
const random = normals(42);
const x = new Float32Array(ROWS * D);
const y = new Float32Array(ROWS);
for (let i = 0; i < ROWS; i++) {
  let target = TRUE_B;
  for (let j = 0; j < D; j++) {
    x[i * D + j] = SCALES[j]! * random();
    target += TRUE_W[j]! * x[i * D + j]!;
  }
  y[i] = target + NOISE * random();
}
const spec: TrainerSpec = { inputSize: D, layers: [{ units: 1 }], loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.05 }, seed: 3 };

/** |G|², tr(Σ) and their ratio at weights w, b, exactly (float64, over every row: the population the rows are drawn from). */
function analytic(w: ArrayLike<number>, b: number) {
  const G = new Float64Array(D + 1);
  let meanSquaredNorm = 0;
  for (let i = 0; i < ROWS; i++) {
    let r = b - y[i]!;
    for (let j = 0; j < D; j++) r += w[j]! * x[i * D + j]!;
    let normSq = 4 * r * r;
    for (let j = 0; j < D; j++) {
      G[j]! += (2 * r * x[i * D + j]!) / ROWS;
      normSq += 4 * r * r * x[i * D + j]! ** 2;
    }
    G[D]! += (2 * r) / ROWS;
    meanSquaredNorm += normSq / ROWS;
  }
  const gradNormSq = G.reduce((sum, g) => sum + g * g, 0);
  const trace = meanSquaredNorm - gradNormSq;
  return { gradNormSq, trace, bSimple: trace / gradNormSq };
}

describe.each(BUILDS)('gradientNoiseScale on linear regression with known gradient noise (%j)', (build) => {
  // weights at three distances from the optimum: from gradient-dominated to noise-dominated
  it.each([0.3, 0.1, 0.05])('B within 30 %% of tr(Σ)/|G|² computed exactly (weights %s from the optimum)', async (offset) => {
    const t = await createTrainer(spec, { ...build, worker: false });
    const w = TRUE_W.map((v, j) => v + offset * (j % 2 === 0 ? 1 : -1));
    const b = TRUE_B + offset;
    t.setWeights({ '0.weight': w, '0.bias': [b] });
    const expected = analytic(Float32Array.from(w), Math.fround(b));
    const got = await t.gradientNoiseScale(x, y, { smallBatchSize: 16, largeBatchSize: 512, batches: 100 });
    expect(got.batches).toBe(100);
    expect(Math.abs(got.bSimple / expected.bSimple - 1)).toBeLessThan(0.3);
    expect(Math.abs(got.gradNormSq / expected.gradNormSq - 1)).toBeLessThan(0.3);
    expect(Math.abs(got.trace / expected.trace - 1)).toBeLessThan(0.3);
    await t.dispose();
  });

  it('with the default options (smallBatchSize 32, largeBatchSize 256, 20 batches)', async () => {
    const t = await createTrainer(spec, { ...build, worker: false });
    const w = TRUE_W.map((v) => v + 0.1);
    t.setWeights({ '0.weight': w, '0.bias': [TRUE_B] });
    const expected = analytic(Float32Array.from(w), Math.fround(TRUE_B));
    const got = await t.gradientNoiseScale(x, y);
    expect(got.batches).toBe(20);
    expect(Math.abs(got.bSimple / expected.bSimple - 1)).toBeLessThan(0.3);
    await t.dispose();
  });
});

const iris = loadIris() as { x: Float32Array; y: Int32Array; rows: number };
const irisSpec: TrainerSpec = {
  inputSize: 4,
  layers: [{ units: 12, activation: 'relu', l2: 1e-3 }, { type: 'batchnorm' }, { type: 'dropout', rate: 0.2 }, { units: 3 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: { name: 'cosine', initial: 0.02, tMax: 'auto' } },
  seed: 7,
  normalize: true,
};

describe.each(BUILDS)('gradientNoiseScale leaves the trainer as it was (%j)', (build) => {
  it.each([{ worker: false }, { worker: true }])('%j, arrays and a data set, also when stopped', async ({ worker }) => {
    const options = { ...build, worker } as CreateTrainerOptions;
    const twin = await createTrainer(irisSpec, options);
    const t = await createTrainer(irisSpec, options);
    try {
      for (const trainer of [twin, t]) await trainer.fit(iris.x, iris.y, { epochs: 2, batchSize: 16 });
      const weights = await t.getWeights();
      const bytes = await t.save();
      const whole = await t.gradientNoiseScale(iris.x, iris.y, { smallBatchSize: 8, largeBatchSize: 64, batches: 5 });
      expect(whole.batches).toBe(5);
      expect(Number.isFinite(whole.trace) && whole.trace > 0).toBe(true);
      const dataset = await t.dataset(iris.x, iris.y);
      const again = await t.gradientNoiseScale(dataset, { smallBatchSize: 8, largeBatchSize: 64, batches: 5 });
      // the same rows drawn from the same seed and step: the same numbers from arrays and a data set
      expect(again).toEqual(whole);
      expect(await t.getWeights()).toEqual(weights);
      expect(await t.save()).toEqual(bytes);
      const running = t.gradientNoiseScale(iris.x, iris.y, { smallBatchSize: 8, largeBatchSize: 64, batches: 100_000 });
      setTimeout(() => t.stop(), 50);
      const stopped = await running;
      expect(stopped.batches).toBeGreaterThan(0);
      expect(stopped.batches).toBeLessThan(100_000);
      expect(await t.getWeights()).toEqual(weights);
      expect(await t.save()).toEqual(bytes);
      await expectNextFitAsTwin(t, twin, iris.x, iris.y, { epochs: 2, batchSize: 16 });
    } finally {
      await twin.dispose();
      await t.dispose();
    }
  });

  it('before the first fit: the normalisation statistics it needs are not kept', async () => {
    const twin = await createTrainer(irisSpec, { ...build, worker: false });
    const t = await createTrainer(irisSpec, { ...build, worker: false });
    const bytes = await t.save();
    await t.gradientNoiseScale(iris.x, iris.y, { smallBatchSize: 8, largeBatchSize: 64, batches: 3 });
    expect(await t.save()).toEqual(bytes);
    await expectNextFitAsTwin(t, twin, iris.x, iris.y, { epochs: 2 });
  });
});

it('with data-parallel workers: computed in the trainer\'s own thread, the same numbers, the trainer unchanged', async () => {
  const single = await createTrainer(spec, { worker: false });
  const parallel = await createTrainer(spec, { worker: false, workers: 2 });
  try {
    const bytes = await parallel.save();
    const options = { smallBatchSize: 16, largeBatchSize: 128, batches: 10 };
    expect(await parallel.gradientNoiseScale(x, y, options)).toEqual(await single.gradientNoiseScale(x, y, options));
    expect(await parallel.save()).toEqual(bytes);
  } finally {
    await single.dispose();
    await parallel.dispose();
  }
});

describe.each([{ worker: false }, { worker: true }])('gradientNoiseScale bad options (%j)', (where) => {
  it.each([
    [{ smallBatchSize: 64, largeBatchSize: 64 }, RangeError, 'smallBatchSize must be less than largeBatchSize, got smallBatchSize 64 and largeBatchSize 64'],
    [{ smallBatchSize: 100, largeBatchSize: 10 }, RangeError, 'smallBatchSize must be less than largeBatchSize, got smallBatchSize 100 and largeBatchSize 10'],
    [{ smallBatchSize: 0 }, RangeError, 'smallBatchSize must be a positive integer, got 0'],
    [{ largeBatchSize: -5 }, RangeError, 'largeBatchSize must be a positive integer, got -5'],
    // the earlier names are refused with the new ones
    [{ small: 8 }, TypeError, 'gradientNoiseScale option "small" is now "smallBatchSize" (batch sizes are named like fit\'s batchSize), got small: 8'],
    [{ large: 64 }, TypeError, 'gradientNoiseScale option "large" is now "largeBatchSize"'],
    [{ batches: 0 }, RangeError, 'batches must be a positive integer, got 0'],
    [{ batches: 2.5 }, RangeError, 'batches must be a positive integer, got 2.5'],
    [{ smal: 8 }, TypeError, 'unknown option "smal" in gradientNoiseScale options'],
  ])('%j', async (options, type, message) => {
    const t = await createTrainer(irisSpec, where);
    const bytes = await t.save();
    const failed = t.gradientNoiseScale(iris.x, iris.y, options as object);
    await expect(failed).rejects.toThrow(type);
    await expect(failed).rejects.toThrow(message);
    expect(await t.save()).toEqual(bytes);
    await t.dispose();
  });

  it('a stream of batches: refused, it cannot draw batches of its own size', async () => {
    const t = await createTrainer(irisSpec, where);
    await expect(t.gradientNoiseScale((() => [{ x: iris.x, y: iris.y }]) as never)).rejects.toThrow('gradientNoiseScale needs arrays or a data set to draw its batches from, not a stream of batches');
    await t.dispose();
  });
});
