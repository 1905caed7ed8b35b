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
    const first = t.dataset(x, y);
    const bytesWithSet = t.info.memory.datasets;
    expect(bytesWithSet).toBe(50_000 * 4 * 4 + 50_000 * 4);
    first.dispose();
    expect(t.info.memory.datasets).toBe(0);
    const wasm = t.info.memory.wasm;
    for (let i = 0; i < 5; i++) t.dataset(x, y).dispose();
    expect(t.info.memory.wasm).toBe(wasm);
    await t.dispose();
  });

  it('a set cannot be disposed while a fit uses it', async () => {
    const t = await createTrainer(spec, { worker: false });
    const ds = t.dataset(iris.x, iris.y);
    let refused: unknown = null;
    await t.fit(ds, { epochs: 1, batchSize: 8, batchCallbackInterval: 0, onBatchEnd: () => {
      if (!refused) refused = (() => { try { ds.dispose(); return 'disposed'; } catch (e) { return e; } })();
    } });
    expect((refused as Error).message).toMatch(/data set is in use by a running fit/);
    ds.dispose();
    await t.dispose();
  });
});
