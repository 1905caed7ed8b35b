// Resident data sets (trainer.dataset(x, y?)): checked and copied into the trainer's memory once,
// then used in place by fit, evaluate and predict — with the same results, bit for bit, as the
// arrays they were made from; their memory is given back when disposed.
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadIris } from '../data/datasets.mjs';

const iris = loadIris() as { x: Float32Array; y: Int32Array; rows: number };
const spec: TrainerSpec = {
  inputSize: 4, layers: [{ units: 12, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { units: 3 }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 }, seed: 5, normalize: true,
};
const fitOptions = { epochs: 4, batchSize: 16, validationSplit: 0.2 };

describe.each([{ worker: false }, { worker: true }])('resident data sets (%j)', (where) => {
  it('train, evaluate and predict bit-exactly as the arrays do', async () => {
    const fromArrays = await createTrainer(spec, where);
    const fromSet = await createTrainer(spec, where);
    try {
      const arrays = await fromArrays.fit(iris.x, iris.y, fitOptions);
      const ds = await fromSet.dataset(iris.x, iris.y);
      expect(ds.rows).toBe(150);
      const resident = await fromSet.fit(ds, fitOptions);
      expect(resident.epochs.map(({ ms: _ms, ...log }) => log)).toEqual(arrays.epochs.map(({ ms: _ms, ...log }) => log));
      expect(await fromSet.getWeights()).toEqual(await fromArrays.getWeights());
      // a second fit on the same set: no new copy, same continuation as the arrays
      await fromArrays.fit(iris.x, iris.y, { epochs: 2 });
      await fromSet.fit(ds, { epochs: 2 });
      expect(await fromSet.getWeights()).toEqual(await fromArrays.getWeights());
      expect(await fromSet.evaluate(ds)).toEqual(await fromArrays.evaluate(iris.x, iris.y));
      const features = await fromSet.dataset(iris.x);
      expect(await fromSet.predict(features)).toEqual(await fromArrays.predict(iris.x));
      await expect(fromSet.evaluate(features)).rejects.toThrow(/x has no targets .*fit and evaluate need y/);
      // validationData as a set
      const validation = await fromSet.dataset(iris.x.subarray(0, 160), iris.y.subarray(0, 40));
      const withSet = await fromSet.fit(ds, { epochs: 1, validationData: validation });
      expect(withSet.epochs[0]!.valLoss).toBe((await fromSet.evaluate(iris.x.subarray(0, 160), iris.y.subarray(0, 40))).loss);
      await ds.dispose();
      await expect(fromSet.fit(ds, { epochs: 1 })).rejects.toThrow(/x is a disposed data set/);
      const other = await createTrainer(spec, where);
      const foreign = await other.dataset(iris.x, iris.y);
      await expect(fromSet.fit(foreign, { epochs: 1 })).rejects.toThrow(/data set of another trainer/);
      await other.dispose();
    } finally {
      await fromArrays.dispose();
      await fromSet.dispose();
    }
  });
});

describe('resident data set memory', () => {
  it('dispose gives the memory back: making and disposing sets again and again does not grow it', async () => {
    const t = await createTrainer(spec, { worker: false });
    const x = new Float32Array(50_000 * 4).map((_, i) => Math.sin(i));
    const y = Int32Array.from({ length: 50_000 }, (_, i) => i % 3);
    const first = await t.dataset(x, y);
    const bytesWithSet = t.info.memory.datasets;
    expect(bytesWithSet).toBe(50_000 * 4 * 4 + 50_000 * 4);
    first.dispose();
    expect(t.info.memory.datasets).toBe(0);
    const wasm = t.info.memory.wasm;
    for (let i = 0; i < 5; i++) (await t.dataset(x, y)).dispose();
    expect(t.info.memory.wasm).toBe(wasm);
    await t.dispose();
  });

  it('a set cannot be disposed while a fit uses it', async () => {
    const t = await createTrainer(spec, { worker: false });
    const ds = await t.dataset(iris.x, iris.y);
    let refused: unknown = null;
    await t.fit(ds, { epochs: 1, batchSize: 8, batchCallbackInterval: 0, onBatchEnd: () => {
      if (!refused) refused = (() => { try { ds.dispose(); return 'disposed'; } catch (e) { return e; } })();
    } });
    expect((refused as Error).message).toMatch(/data set is in use by a running fit/);
    ds.dispose();
    await t.dispose();
  });
});

describe('shuffleBeforeSplit', () => {
  it('validationSplit takes the last rows of a seeded order instead of the last rows as given (arrays and data sets)', async () => {
    const { Random } = await import('../src/model/random.js');
    const order = Int32Array.from({ length: iris.rows }, (_, i) => i);
    new Random(spec.seed!, 0x5b17, 0).shuffle(order); // the seed and the epochs trained so far (0)
    const x = new Float32Array(iris.x.length);
    const y = new Int32Array(iris.rows);
    order.forEach((row, i) => { x.set(iris.x.subarray(row * 4, row * 4 + 4), i * 4); y[i] = iris.y[row]!; });
    const run = async (fit: (t: Awaited<ReturnType<typeof createTrainer>>) => Promise<unknown>) => {
      const t = await createTrainer(spec, { worker: false });
      const history = await fit(t) as { epochs: { valAccuracy?: number; loss: number }[] };
      const result = { losses: history.epochs.map((e) => [e.loss, e.valAccuracy]), weights: t.getWeights() };
      await t.dispose();
      return result;
    };
    const options = { epochs: 3, batchSize: 16, validationSplit: 0.2, shuffle: false };
    const permuted = await run((t) => t.fit(x, y, options));
    expect(await run((t) => t.fit(iris.x, iris.y, { ...options, shuffleBeforeSplit: true }))).toEqual(permuted);
    expect(await run(async (t) => t.fit(await t.dataset(iris.x, iris.y), { ...options, shuffleBeforeSplit: true }))).toEqual(permuted);
    // iris is sorted by class: without the shuffle the validation rows are all of class 2
    const sorted = await run((t) => t.fit(iris.x, iris.y, options));
    expect(sorted.losses).not.toEqual(permuted.losses);
  });
});
