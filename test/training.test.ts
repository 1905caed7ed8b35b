// The in-thread Trainer: whole-network gradients against central differences of a float64
// reference network, learning on real data sets, determinism and continuity, early stopping, the
// NaN guard, every optimizer and schedule, and bad specs and data leaving the trainer unchanged.
import { describe, expect, it } from 'vitest';
import { type Activation, createTrainer, type LossName, type Trainer, type TrainerSpec } from '../src/index.js';
import { centralDifferences } from './reference/gradcheck.js';
import { referenceObjective } from './reference/network.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadDigits, loadIris, trainTestSplit } from '../data/datasets.mjs';
import { BUILDS, type Build } from './reference/builds.js';

type Split = { train: { x: Float32Array; y: Int32Array }; test: { x: Float32Array; y: Int32Array } };

/** The gradient the trainer applies: one full-batch SGD step with learning rate 1 moves p by −∇. */
async function trainerGradient(spec: TrainerSpec, weights: Record<string, Float32Array>, x: Float32Array, y: Float32Array | Int32Array, build: Build) {
  const t = await createTrainer({ ...spec, optimizer: { name: 'sgd', learningRate: 1 } }, { worker: false, build });
  t.setWeights(weights);
  await t.fit(x, y, { epochs: 1, batchSize: x.length / spec.inputSize, shuffle: false });
  const after = t.getWeights();
  await t.dispose();
  return Object.fromEntries(Object.entries(weights).map(([name, before]) => [name, Array.from(before, (v, i) => v - after[name]![i]!)]));
}

const ACTIVATIONS: Activation[] = ['linear', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'gelu'];
const LOSS_CASES: { loss: LossName; last: Activation; target: (rows: number) => Float32Array | Int32Array }[] = [
  { loss: 'mse', last: 'linear', target: (rows) => Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i)) },
  { loss: 'huber', last: 'linear', target: (rows) => Float32Array.from({ length: rows * 3 }, (_, i) => 2 * Math.cos(i)) },
  { loss: 'softmax_cross_entropy', last: 'linear', target: (rows) => Int32Array.from({ length: rows }, (_, i) => i % 3) },
  { loss: 'bce_with_logits', last: 'linear', target: (rows) => Float32Array.from({ length: rows * 3 }, (_, i) => (i % 2 ? 1 : 0)) },
  { loss: 'cross_entropy', last: 'softmax', target: (rows) => Float32Array.from({ length: rows * 3 }, (_, i) => (i % 3 === 1 ? 1 : 0)) },
  { loss: 'nll', last: 'log_softmax', target: (rows) => Int32Array.from({ length: rows }, (_, i) => (i + 1) % 3) },
];

describe.each(BUILDS)('whole-network gradient vs central differences (%s build)', (build) => {
  it.each(ACTIVATIONS.flatMap((activation) => LOSS_CASES.map((c) => [activation, c.loss, c] as const)))(
    '%s hidden layers, %s', async (activation, _loss, c) => {
      const rows = 6;
      const spec: TrainerSpec = {
        inputSize: 5,
        layers: [{ units: 7, activation, l2: 0.01 }, { units: 4, activation, l1: 0.005 }, { units: 3, activation: c.last }],
        loss: c.loss, optimizer: { name: 'sgd' }, seed: 5,
      };
      const x = Float32Array.from({ length: rows * 5 }, (_, i) => Math.sin(1.3 * i + 0.4));
      const y = c.target(rows);
      // seeded weights away from relu's and l1's kinks (no weight or pre-activation at exactly 0)
      const probe = await createTrainer(spec, { worker: false, build });
      const weights = probe.getWeights();
      await probe.dispose();
      for (const values of Object.values(weights)) values.forEach((v, i, a) => { a[i] = v + (i % 2 ? 0.05 : -0.05); });
      const got = await trainerGradient(spec, weights, x, y, build);
      const w64 = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)]));
      const { worst, scale } = centralDifferences(w64, (name, i) => got[name]![i]!, () => referenceObjective(spec, w64, x, y), 1e-5);
      // float32 forward/backward through three layers: agreement to ~1e-4 of the largest component
      expect(worst).toBeLessThan(2e-4 * scale + 1e-6);
    });

  it('a dropout layer with rate 0 is the identity both ways: the layers before it get their gradient', async () => {
    // regression: backward multiplied by a mask that forward never wrote at rate 0 (layer 0 never moved)
    const spec: TrainerSpec = {
      inputSize: 3, layers: [{ units: 4, activation: 'tanh' }, { type: 'dropout', rate: 0 }, { units: 2 }],
      loss: 'mse', optimizer: { name: 'sgd' }, seed: 3,
    };
    const x = Float32Array.from({ length: 5 * 3 }, (_, i) => Math.cos(0.7 * i));
    const y = Float32Array.from({ length: 5 * 2 }, (_, i) => Math.sin(i));
    const probe = await createTrainer(spec, { worker: false, build });
    const weights = probe.getWeights();
    await probe.dispose();
    const got = await trainerGradient(spec, weights, x, y, build);
    const w64 = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)]));
    for (const [name, values] of Object.entries(w64)) {
      values.forEach((v, i) => {
        const h = 1e-6;
        values[i] = v + h;
        const plus = referenceObjective(spec, w64, x, y);
        values[i] = v - h;
        const minus = referenceObjective(spec, w64, x, y);
        values[i] = v;
        expect(Math.abs(got[name]![i]! - (plus - minus) / (2 * h)), `${name}[${i}]`).toBeLessThan(1e-5);
      });
    }
    expect(got['0.weight']!.some((g) => Math.abs(g) > 1e-3)).toBe(true);
  });
});

// ---- learning ---------------------------------------------------------------------------------

const classifier = (inputSize: number, hidden: number, classes: number, extra: Partial<TrainerSpec> = {}): TrainerSpec => ({
  inputSize, layers: [{ units: hidden, activation: 'relu' }, { units: classes }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.01 }, seed: 1, normalize: true, ...extra,
});

describe('learning', () => {
  it('XOR', async () => {
    const t = await createTrainer({ inputSize: 2, layers: [{ units: 8, activation: 'tanh' }, { units: 1 }], loss: 'bce_with_logits', optimizer: { name: 'adam', learningRate: 0.05 }, seed: 3 }, { worker: false });
    const history = await t.fit(new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), new Float32Array([0, 1, 1, 0]), { epochs: 400, batchSize: 4 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(0.05);
    expect(history.epochs.at(-1)!.accuracy).toBe(1);
    const p = await t.predict(new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]));
    expect(Array.from(p, (v) => (v > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
  });

  it.each(BUILDS)('iris ≥ 95 %% held-out (%s build)', async (build) => {
    const { train, test } = trainTestSplit(loadIris(), 0.2, 11) as Split;
    const t = await createTrainer(classifier(4, 16, 3), { worker: false, build });
    await t.fit(train.x, train.y, { epochs: 80, batchSize: 16 });
    expect((await t.evaluate(test.x, test.y)).accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('8×8 digits ≥ 95 % held-out in 20 epochs', async () => {
    const { train, test } = trainTestSplit(loadDigits(), 0.2, 7) as Split;
    const t = await createTrainer(classifier(64, 64, 10, { optimizer: { name: 'adam', learningRate: 3e-3 } }), { worker: false });
    const history = await t.fit(train.x, train.y, { epochs: 20, batchSize: 32 });
    expect(history.epochs).toHaveLength(20);
    expect((await t.evaluate(test.x, test.y)).accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('regression (mse) fits a linear function; evaluate reports mae', async () => {
    const x = Float32Array.from({ length: 400 }, (_, i) => Math.sin(i * 0.7));
    const y = Float32Array.from({ length: 200 }, (_, r) => 2 * x[2 * r]! - 3 * x[2 * r + 1]! + 0.5);
    const t = await createTrainer({ inputSize: 2, layers: [{ units: 1 }], loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9 }, seed: 2 }, { worker: false });
    await t.fit(x, y, { epochs: 60, batchSize: 20 });
    const result = await t.evaluate(x, y);
    expect(result.mae).toBeLessThan(0.01);
    expect(result.accuracy).toBeUndefined();
    const w = t.getWeights();
    expect(w['0.weight']![0]).toBeCloseTo(2, 2);
    expect(w['0.weight']![1]).toBeCloseTo(-3, 2);
    expect(w['0.bias']![0]).toBeCloseTo(0.5, 2);
  });

  const OPTIMIZERS: [string, number][] = [
    ['sgd', 0.1], ['adam', 0.01], ['adamw', 0.01], ['rmsprop', 0.01], ['adagrad', 0.1], ['adadelta', 1],
    ['adamax', 0.02], ['nadam', 0.01], ['lion', 0.003], ['lamb', 0.01],
  ];
  it.each(OPTIMIZERS)('%s lowers the iris loss', async (name, learningRate) => {
    const { train } = trainTestSplit(loadIris(), 0.2, 11) as Split;
    const t = await createTrainer(classifier(4, 16, 3, { optimizer: { name: name as never, learningRate } }), { worker: false });
    const history = await t.fit(train.x, train.y, { epochs: 15, batchSize: 16 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(0.7 * history.epochs[0]!.loss);
  });

  const SCHEDULES: [string, unknown][] = [
    ['step', { name: 'step', initial: 0.02, stepSize: 50, gamma: 0.5 }],
    ['exponential', { name: 'exponential', initial: 0.02, gamma: 0.999 }],
    ['cosine', { name: 'cosine', initial: 0.02, tMax: 'auto', etaMin: 1e-4 }],
    ['linearWarmup', { name: 'linearWarmup', warmupSteps: 20, then: { name: 'cosine', initial: 0.02, tMax: 'auto' } }],
    ['oneCycle', { name: 'oneCycle', maxLr: 0.05, totalSteps: 'auto' }],
    ['reduceOnPlateau', { name: 'reduceOnPlateau', initial: 0.02, patience: 1 }],
  ];
  it.each(SCHEDULES)('%s schedule trains and reports its learning rate', async (_name, learningRate) => {
    const { train } = trainTestSplit(loadIris(), 0.2, 11) as Split;
    const t = await createTrainer(classifier(4, 16, 3, { optimizer: { name: 'adam', learningRate: learningRate as never } }), { worker: false });
    const history = await t.fit(train.x, train.y, { epochs: 15, batchSize: 16 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(0.7 * history.epochs[0]!.loss);
    expect(history.epochs.every((e) => Number.isFinite(e.lr) && e.lr >= 0)).toBe(true);
  });
});

describe('the epoch loss with L1/L2 penalties (Keras: the mean of the batch losses, each with its own penalty)', () => {
  it.each(BUILDS)('equals the row-weighted mean over batches of data loss + penalty at that batch\'s weights (%s build)', async (build) => {
    // regression: the epoch loss added the penalty of the weights at the end of the epoch
    const spec: TrainerSpec = {
      inputSize: 3, layers: [{ units: 5, activation: 'tanh', l2: 0.2 }, { units: 2, l1: 0.05 }],
      loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.5 }, seed: 4,
    };
    const rows = 10;
    const batchSize = 4; // batches of 4, 4, 2
    const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(0.9 * i + 0.2));
    const y = Float32Array.from({ length: rows * 2 }, (_, i) => Math.cos(1.7 * i));
    const t = await createTrainer(spec, { worker: false, build });
    const stepper = await createTrainer(spec, { worker: false, build });
    let expected = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const xb = x.slice(start * 3, (start + n) * 3);
      const yb = y.slice(start * 2, (start + n) * 2);
      const w = Object.fromEntries(Object.entries(stepper.getWeights()).map(([k, v]) => [k, Array.from(v)]));
      expected += n * referenceObjective(spec, w, xb, yb);
      await stepper.fit(xb, yb, { epochs: 1, batchSize: n, shuffle: false }); // the same SGD step
    }
    expected /= rows;
    const h = await t.fit(x, y, { epochs: 1, batchSize, shuffle: false });
    expect(t.getWeights()).toEqual(stepper.getWeights());
    expect(Math.abs(h.epochs[0]!.loss - expected)).toBeLessThan(1e-5 * expected);
    await t.dispose();
    await stepper.dispose();
  });

  it.each(BUILDS)('evaluate() adds the penalty of the current weights to the data loss (%s build)', async (build) => {
    // weight tensors of 15 and 10 values: the penalty kernel's f32x4 body and its tail
    const spec: TrainerSpec = {
      inputSize: 3, layers: [{ units: 5, activation: 'tanh', l2: 0.2 }, { units: 2, l1: 0.05 }],
      loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.5 }, seed: 9,
    };
    const x = Float32Array.from({ length: 6 * 3 }, (_, i) => Math.sin(0.7 * i + 0.1));
    const y = Float32Array.from({ length: 6 * 2 }, (_, i) => Math.cos(1.1 * i));
    const t = await createTrainer(spec, { worker: false, build });
    await t.fit(x, y, { epochs: 2, batchSize: 3, shuffle: false });
    const w = Object.fromEntries(Object.entries(t.getWeights()).map(([k, v]) => [k, Array.from(v)]));
    const expected = referenceObjective(spec, w, x, y);
    expect(Math.abs((await t.evaluate(x, y)).loss - expected)).toBeLessThan(1e-5 * expected);
    await t.dispose();
  });
});

// ---- determinism, continuity, control ------------------------------------------------------------

describe('determinism and continuity', () => {
  const { train } = trainTestSplit(loadIris(), 0.2, 11) as Split;
  const spec = classifier(4, 12, 3, { layers: [{ units: 12, activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { units: 3 }] });

  it('same seed → bit-identical history and weights; another seed → different', async () => {
    const run = async (seed: number) => {
      const t = await createTrainer({ ...spec, seed }, { worker: false });
      const h = await t.fit(train.x, train.y, { epochs: 4, batchSize: 16 });
      return { losses: h.epochs.map((e) => e.loss), weights: t.getWeights() };
    };
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(a).toEqual(b);
    expect(c.losses).not.toEqual(a.losses);
  });

  it('fit(2) then fit(3) = fit(5), bit for bit, epochs numbered globally', async () => {
    const straight = await createTrainer(spec, { worker: false });
    const five = await straight.fit(train.x, train.y, { epochs: 5, batchSize: 16 });
    const split = await createTrainer(spec, { worker: false });
    const first = await split.fit(train.x, train.y, { epochs: 2, batchSize: 16 });
    const second = await split.fit(train.x, train.y, { epochs: 3, batchSize: 16 });
    expect(second.epochs.map((e) => e.epoch)).toEqual([3, 4, 5]);
    expect([...first.epochs, ...second.epochs].map((e) => e.loss)).toEqual(five.epochs.map((e) => e.loss));
    expect(split.getWeights()).toEqual(straight.getWeights());
  });

  it('early stopping restores the best epoch\'s weights', async () => {
    const t = await createTrainer(classifier(4, 16, 3, { optimizer: { name: 'sgd', learningRate: 2, momentum: 0.9 } }), { worker: false });
    const snapshots = new Map<number, Record<string, Float32Array>>();
    const history = await t.fit(train.x, train.y, {
      epochs: 200, batchSize: 8, validationSplit: 0.25,
      earlyStopping: { patience: 2, restoreBestWeights: true },
      onEpochEnd: (log) => { snapshots.set(log.epoch, t.getWeights()); },
    });
    expect(history.stopReason).toBe('early_stopping');
    const best = history.epochs.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    expect(t.getWeights()).toEqual(snapshots.get(best.epoch));
  });

  it('a non-finite loss stops with "nan" and leaves the last finite weights', async () => {
    const x = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: 100 }, (_, i) => Math.cos(i) * 100);
    const t = await createTrainer({ inputSize: 2, layers: [{ units: 8, activation: 'relu' }, { units: 1 }], loss: 'mse', optimizer: { name: 'sgd', learningRate: 1e6 }, seed: 1 }, { worker: false });
    const history = await t.fit(x, y, { epochs: 50, batchSize: 10 });
    expect(history.stopReason).toBe('nan');
    for (const values of Object.values(t.getWeights())) expect(values.every(Number.isFinite)).toBe(true);
  });

  it('stop() from a callback ends fit with "stopped"; a later fit resumes; a concurrent fit is refused', async () => {
    const t = await createTrainer(spec, { worker: false });
    let calls = 0;
    const running = t.fit(train.x, train.y, { epochs: 1000, batchSize: 4, batchCallbackInterval: 0, onBatchEnd: () => { if (++calls === 3) t.stop(); } });
    await expect(t.fit(train.x, train.y)).rejects.toThrow('fit is already running');
    expect((await running).stopReason).toBe('stopped');
    expect((await t.fit(train.x, train.y, { epochs: 1 })).stopReason).toBe('completed');
    t.stop(); // idle: a no-op
  });

  it('two trainers in one thread, interleaved, train as they do alone', async () => {
    const alone = await createTrainer(spec, { worker: false });
    const expected = await alone.fit(train.x, train.y, { epochs: 3, batchSize: 8 });
    const [a, b] = [await createTrainer(spec, { worker: false }), await createTrainer({ ...spec, seed: 9 }, { worker: false })];
    const [ha] = await Promise.all([a.fit(train.x, train.y, { epochs: 3, batchSize: 8 }), b.fit(train.x, train.y, { epochs: 3, batchSize: 8 })]);
    expect(ha.epochs.map((e) => e.loss)).toEqual(expected.epochs.map((e) => e.loss));
  });

  it('classWeight weighs the loss per class (torch weighted mean) and is refused for other losses', async () => {
    const x = Float32Array.from({ length: 8 }, (_, i) => Math.sin(i));
    const y = Int32Array.from([0, 1, 1, 2]);
    const plainTrainer = await createTrainer({ ...spec, inputSize: 2, layers: [{ units: 3 }], normalize: false }, { worker: false });
    const w = [1, 3, 0.5];
    const first = plainTrainer.getWeights();
    // the first epoch's loss (before any step) is Σ w[yᵢ]·CEᵢ / Σ w[yᵢ] of the initial network
    const logits = await plainTrainer.predict(x, { raw: true });
    let num = 0, den = 0;
    y.forEach((label, r) => {
      const row = Array.from(logits.subarray(3 * r, 3 * r + 3));
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      num += w[label]! * (lse - row[label]!);
      den += w[label]!;
    });
    const h = await plainTrainer.fit(x, y, { epochs: 1, batchSize: 4, classWeight: w });
    expect(h.epochs[0]!.loss).toBeCloseTo(num / den, 5);
    plainTrainer.setWeights(first);
    const mse = await createTrainer({ inputSize: 2, layers: [{ units: 1 }], loss: 'mse', optimizer: { name: 'sgd' } }, { worker: false });
    await expect(mse.fit(x, new Float32Array(4), { classWeight: [1] })).rejects.toThrow(/classWeight applies to class-index losses/);
  });

  it('predict gives softmax probabilities, raw logits on request; dropout is off in predict', async () => {
    const t = await createTrainer(spec, { worker: false });
    await t.fit(train.x, train.y, { epochs: 3 });
    const p = await t.predict(train.x);
    for (let r = 0; r < p.length / 3; r++) expect(p[3 * r]! + p[3 * r + 1]! + p[3 * r + 2]!).toBeCloseTo(1, 5);
    expect(await t.predict(train.x)).toEqual(p);
    const raw = await t.predict(train.x, { raw: true });
    const row = Array.from(raw.subarray(0, 3));
    const z = row.reduce((s, v) => s + Math.exp(v), 0);
    expect(p[0]).toBeCloseTo(Math.exp(row[0]!) / z, 5);
  });
});

// ---- bad input ----------------------------------------------------------------------------------

describe('bad specs and data', () => {
  const good = classifier(4, 8, 3);
  const bad: [string, unknown, RegExp][] = [
    ['inputSize 0', { ...good, inputSize: 0 }, /inputSize must be a positive integer, got 0/],
    ['negative units', { ...good, layers: [{ units: 4 }, { units: -3 }] }, /layers\[1\]\.units must be a positive integer, got -3/],
    ['no layers', { ...good, layers: [] }, /layers must be a non-empty array/],
    ['unknown activation', { ...good, layers: [{ units: 4, activation: 'swish' }] }, /layers\[0\]\.activation must be one of .*got "swish"/],
    ['unknown optimizer', { ...good, optimizer: { name: 'adamm' } }, /optimizer\.name must be one of .*got "adamm"/],
    ['unknown loss', { ...good, loss: 'crossentropy' }, /loss must be a loss name \(one of 'mse', .*\) or \{ name, \.\.\.options \}; got "crossentropy"; did you mean 'cross_entropy'\?$/],
    ['missing loss', { ...good, loss: undefined }, /loss is required: a loss name \(one of 'mse', .*\) or \{ name, \.\.\.options \}/],
    ['loss as a number', { ...good, loss: 3 }, /loss must be a loss name \(one of 'mse', .*\) or \{ name, \.\.\.options \}, got 3/],
    ['unknown optimizer name', { ...good, optimizer: 'adamm' }, /optimizer\.name must be one of .*got "adamm"/],
    ['optimizer as a number', { ...good, optimizer: 0.1 }, /optimizer must be an optimizer name \(sgd, .*\) or \{ name, learningRate\?, \.\.\.options \}, got 0.1/],
    ['unknown spec key', { ...good, layer: [] }, /unknown option "layer" in spec/],
    ['seed out of range', { ...good, seed: 2 ** 32 }, /seed must be an integer in \[0, 4294967296\), got 4294967296/],
    ['nesterov without momentum', { ...good, optimizer: { name: 'sgd', nesterov: true } }, /optimizer\.nesterov needs momentum > 0 and dampening = 0 .*got momentum 0/],
    ['negative learning rate', { ...good, optimizer: { name: 'sgd', learningRate: -1 } }, /optimizer\.learningRate must be a finite number ≥ 0, got -1/],
    ['dropout rate 1', { ...good, layers: [{ type: 'dropout', rate: 1 }, { units: 3 }] }, /layers\[0\]\.rate must be a finite number in \[0, 1\), got 1/],
    // a required number that is missing says so (it is not NaN)
    ['missing inputSize', { ...good, inputSize: undefined }, /inputSize must be a positive integer, got undefined/],
    ['missing units', { ...good, layers: [{ activation: 'relu' }, { units: 3 }] }, /layers\[0\]\.units must be a positive integer, got undefined/],
    ['missing dropout rate', { ...good, layers: [{ type: 'dropout' }, { units: 3 }] }, /layers\[0\]\.rate must be a finite number in \[0, 1\), got undefined/],
    ['missing schedule stepSize', { ...good, optimizer: { name: 'sgd', learningRate: { name: 'step', initial: 0.1, gamma: 0.5 } } },
      /optimizer\.learningRate\.stepSize must be a positive integer, got undefined/],
  ];
  it.each(bad)('%s → a clear error before anything starts', async (_name, spec, message) => {
    await expect(createTrainer(spec as TrainerSpec, { worker: false })).rejects.toThrow(message);
  });

  it('fit, evaluate and predict take every form k.loss takes (Float64Array, number[], number[][], labels as number[]) and train the same', async () => {
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    const y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
    const run = async (xs: unknown, ys: unknown) => {
      const t = await createTrainer(good, { worker: false });
      await t.fit(xs as Float32Array, ys as Int32Array, { epochs: 2, batchSize: 4, shuffle: false });
      const result = { weights: t.getWeights(), evaluation: await t.evaluate(xs as Float32Array, ys as Int32Array), predictions: await t.predict(xs as Float32Array) };
      await t.dispose();
      return result;
    };
    const typed = await run(x, y);
    const rows = Array.from({ length: 10 }, (_, r) => Array.from(x.subarray(4 * r, 4 * r + 4)));
    expect(await run(Float64Array.from(x), Array.from(y))).toEqual(typed);
    expect(await run(rows, Array.from(y))).toEqual(typed);
    expect(await run(Array.from(x), y)).toEqual(typed);
    const regression = await createTrainer({ ...good, loss: 'mse' }, { worker: false });
    const targets = Array.from({ length: 10 }, (_, r) => [r / 10, 1 - r / 10, 0.5]);
    const fromRows = await regression.evaluate(rows, targets);
    expect(fromRows).toEqual(await regression.evaluate(x, Float32Array.from(targets.flat())));
    await expect(regression.fit([[1, 2, 3, 4], [1, 2, 3]], targets.slice(0, 2))).rejects.toThrow(/x\[1\] must hold 4 values \(one row\), got 3/);
    await expect(regression.fit(rows, [[1, 2, 3], [4, 5]])).rejects.toThrow(/y\[1\] must hold 3 values \(one row\), got 2/);
    await regression.dispose();
  });

  it('optimizer may be a name (its defaults) or absent (Adam with its defaults, as Keras)', async () => {
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    const y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
    const weightsAfter = async (optimizer: unknown) => {
      const t = await createTrainer({ ...good, optimizer } as TrainerSpec, { worker: false });
      await t.fit(x, y, { epochs: 2, batchSize: 4 });
      const w = t.getWeights();
      await t.dispose();
      return w;
    };
    expect(await weightsAfter('sgd')).toEqual(await weightsAfter({ name: 'sgd', learningRate: 1e-3 }));
    const adam = await weightsAfter({ name: 'adam', learningRate: 1e-3 });
    expect(await weightsAfter('adam')).toEqual(adam);
    expect(await weightsAfter(undefined)).toEqual(adam);
    expect(await weightsAfter({ name: 'adam' })).toEqual(adam);
  });

  it('bad data and options are refused and leave the trainer unchanged', async () => {
    const t: Trainer = await createTrainer(good, { worker: false });
    const x = new Float32Array(40).map((_, i) => Math.sin(i));
    const y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
    await t.fit(x, y, { epochs: 1 });
    const weights = t.getWeights();
    const step = t.step;
    const cases: [unknown, unknown, unknown, RegExp][] = [
      [x.subarray(0, 39), y, {}, /x length must be a positive multiple of inputSize 4, got 39/],
      [x, Int32Array.from([0, 1, 2, 3, 0, 1, 2, 0, 1, 2]), {}, /labels must be in \[0, 3\) or ignoreIndex -100, got 3 at y\[3\]/],
      [x, y.subarray(0, 9), {}, /y must have one label per row of x \(10\), got 9/],
      [x, y, { batchSize: 0 }, /batchSize must be a positive integer, got 0/],
      [x, y, { epochs: -1 }, /epochs must be a non-negative integer, got -1/],
      [x, y, { validationSplit: 1 }, /validationSplit must be a finite number in \[0, 1\), got 1/],
      [x, y, { epoch: 3 }, /unknown option "epoch" in fit options/],
      [x, y, { onEpochEnd: 'no' }, /onEpochEnd must be a function, got "no"/],
      [x, y, { earlyStopping: { monitor: 'valLoss' } }, /earlyStopping\.monitor valLoss needs validationSplit or validationData/],
      ['x', y, {}, /x must be a Float32Array, .*got "x"/],
    ];
    for (const [xs, ys, options, message] of cases) {
      await expect(t.fit(xs, ys, options as never)).rejects.toThrow(message);
      expect(t.getWeights()).toEqual(weights);
      expect(t.step).toBe(step);
    }
    expect((await t.fit(x, y, { epochs: 1 })).stopReason).toBe('completed');
  });
});
