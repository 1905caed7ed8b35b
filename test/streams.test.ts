// Streamed training: fit(source, options) with batches from an iterable, an async iterable or a
// function giving a fresh one per epoch — the same weights, bit for bit, as arrays fed in the same
// batches; clear errors for bad batches; a source that fails mid-epoch rejects fit and keeps the
// weights of the last finished step. In this thread and in a worker (batches pulled across).
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadIris } from '../data/datasets.mjs';

const iris = loadIris() as { x: Float32Array; y: Int32Array; rows: number };
const spec: TrainerSpec = {
  inputSize: 4, layers: [{ units: 10, activation: 'tanh' }, { units: 3 }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 }, seed: 11,
};
const BATCH = 16;

/** The iris rows in batches of BATCH (the last one ragged), in order. */
function* batches() {
  for (let start = 0; start < iris.rows; start += BATCH) {
    const end = Math.min(start + BATCH, iris.rows);
    yield { x: iris.x.slice(start * 4, end * 4), y: iris.y.slice(start, end) };
  }
}

async function* slowly() {
  for (const batch of batches()) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield batch;
  }
}

describe.each([{ worker: false }, { worker: true }])('streamed fit (%j)', (where) => {
  it('trains as the same batches from arrays do, from a function, an array of batches and an async generator', async () => {
    const reference = await createTrainer(spec, where);
    await reference.fit(iris.x, iris.y, { epochs: 3, batchSize: BATCH, shuffle: false });
    const expected = await reference.getWeights();
    await reference.dispose();
    for (const source of [() => batches(), [...batches()], () => slowly()]) {
      const t = await createTrainer(spec, where);
      const history = await t.fit(source, { epochs: 3 });
      expect(history.epochs.map((log) => log.epoch)).toEqual([1, 2, 3]);
      expect(await t.getWeights()).toEqual(expected);
      await t.dispose();
    }
  });

  it('stepsPerEpoch takes that many batches per epoch from one iterator that goes on across epochs', async () => {
    let made = 0;
    function* endless() {
      made++;
      for (;;) yield* batches();
    }
    const t = await createTrainer(spec, where);
    let batchesSeen = 0;
    const history = await t.fit(endless(), { epochs: 4, stepsPerEpoch: 5, batchCallbackInterval: 0, onBatchEnd: () => { batchesSeen++; } });
    expect(history.epochs).toHaveLength(4);
    expect(batchesSeen).toBe(20);
    expect(made).toBe(1);
    await t.dispose();
  });

  it('a spent generator, bad batches and a source that throws give clear errors; the weights stay those of the last finished step', async () => {
    const t = await createTrainer(spec, where);
    await expect(t.fit(batches(), { epochs: 2 })).rejects.toThrow(/gave no batch in epoch 2; a generator can be iterated once: pass a function/);
    await expect(t.fit(() => [{ x: new Float32Array(6), y: new Int32Array([0]) }], { epochs: 1 }))
      .rejects.toThrow(/batch 1 of epoch \d+: x length must be a positive multiple of inputSize 4, got 6/);
    await expect(t.fit(() => [{ x: new Float32Array(4), y: new Int32Array([7]) }], { epochs: 1 }))
      .rejects.toThrow(/labels must be in \[0, 3\) or ignoreIndex -100, got 7 at batch 1 of epoch \d+: y\[0\]/);
    await expect(t.fit(() => [...batches()].slice(0, 2).concat([{ x: iris.x.slice(0, 8), y: Float32Array.from([0.5, 0.5, 0, 0, 1, 0]) }]), { epochs: 1 }))
      .rejects.toThrow(/batch 3 of epoch \d+: y must be class indices like the first batch/);
    await expect(t.fit(() => [3], { epochs: 1 })).rejects.toThrow(/batch 1 of epoch 1 must be \{ x, y \}, got 3/);
    let snapshot: Record<string, Float32Array> | null = null;
    function* failing() {
      let n = 0;
      for (const batch of batches()) {
        if (++n === 4) throw new Error('the camera went away');
        yield batch;
      }
    }
    const error = await t.fit(() => failing(), { epochs: 1, batchCallbackInterval: 0, onBatchEnd: async () => { snapshot = await t.getWeights(); } })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/the camera went away/);
    expect(await t.getWeights()).toEqual(snapshot);
    await expect(t.fit(iris.x, iris.y, { stepsPerEpoch: 3 })).rejects.toThrow(/stepsPerEpoch applies to a stream of batches/);
    await expect(t.fit(() => batches(), { validationSplit: 0.2 })).rejects.toThrow(/validationSplit needs arrays or a data set to split/);
    await t.dispose();
  });
});

describe("a schedule of 'auto' length with a stream", () => {
  const withRate = (learningRate: unknown) => ({ ...spec, optimizer: { name: 'adam', learningRate } }) as TrainerSpec;
  it.each([
    ['cosine', { name: 'cosine', initial: 0.02, tMax: 'auto' }],
    ['oneCycle', { name: 'oneCycle', maxLr: 0.05, totalSteps: 'auto' }],
    ['cosine under linearWarmup', { name: 'linearWarmup', warmupSteps: 3, then: { name: 'cosine', initial: 0.02, tMax: 'auto' } }],
  ])('%s needs stepsPerEpoch (the batches per epoch are not known), and trains with it', async (_name, learningRate) => {
    const t = await createTrainer(withRate(learningRate), { worker: false });
    await expect(t.fit(() => batches(), { epochs: 1 })).rejects.toThrow("a schedule with 'auto' length needs stepsPerEpoch with a stream");
    const history = await t.fit(() => batches(), { epochs: 2, stepsPerEpoch: 4 });
    expect(history.epochs).toHaveLength(2);
    await t.dispose();
  });

  it('a schedule of fixed length needs no stepsPerEpoch', async () => {
    const t = await createTrainer(withRate({ name: 'linearWarmup', warmupSteps: 3, then: { name: 'cosine', initial: 0.02, tMax: 20 } }), { worker: false });
    expect((await t.fit(() => batches(), { epochs: 1 })).epochs).toHaveLength(1);
    await t.dispose();
  });
});
