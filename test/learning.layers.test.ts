// The new layer types learn real tasks end to end: token ids through an embedding, mean-pooled by
// globalavgpool, classified by a dense layer (a generated bag-of-words task: no text data set fit
// the project's dependencies); and batchnorm refuses data-parallel training (its running
// statistics would be split across the shards).
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
import { Random } from '../src/model/random.js';

/** Sequences of `length` token ids from a vocabulary of 40: label 1 when "positive" tokens (1–10) outnumber "negative" ones (11–20). */
function bagOfWords(rows: number, length: number, seed: number) {
  const random = new Random(seed, 0xb0);
  const x = new Int32Array(rows * length);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let score = 0;
    do {
      score = 0;
      for (let t = 0; t < length; t++) {
        const id = 1 + Math.floor(random.next() * 39);
        x[r * length + t] = id;
        score += id <= 10 ? 1 : id <= 20 ? -1 : 0;
      }
    } while (score === 0);
    y[r] = score > 0 ? 1 : 0;
  }
  return { x, y };
}

describe('learning with the new layers', () => {
  it('embedding → globalavgpool → dense learns a bag-of-words task (≥ 90 % held-out)', async () => {
    const length = 12;
    const spec: TrainerSpec = {
      inputShape: [length],
      layers: [{ type: 'embedding', vocabSize: 40, units: 16, paddingIdx: 0 }, { type: 'globalavgpool' }, { units: 16, activation: 'relu' }, { units: 2 }],
      loss: 'softmax_cross_entropy', optimizer: { name: 'adam', learningRate: 0.01 }, seed: 3,
    };
    const train = bagOfWords(2000, length, 1);
    const test = bagOfWords(500, length, 2);
    const t = await createTrainer(spec, { worker: false });
    await t.fit(train.x, train.y, { epochs: 15, batchSize: 32 });
    const { accuracy } = await t.evaluate(test.x, test.y);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    await t.dispose();
  });

  it('batchnorm with workers > 1 is refused before anything starts', async () => {
    const spec: TrainerSpec = { inputSize: 4, layers: [{ units: 8 }, { type: 'batchnorm' }, { units: 2 }], loss: 'mse' };
    await expect(createTrainer(spec, { workers: 2 })).rejects.toThrow(/workers: 2 cannot train layers\[1\] \(batchnorm\): its running statistics would be split across the shards; use workers: 1/);
  });
});

describe('running statistics follow the weights', () => {
  const spec: TrainerSpec = { inputSize: 3, layers: [{ units: 4 }, { type: 'batchnorm' }, { units: 2 }], loss: 'mse', optimizer: 'sgd', seed: 2 };
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const y = Float32Array.from({ length: 16 }, (_, i) => Math.cos(i));

  it('a non-finite step leaves the running statistics of the last finite step', async () => {
    const t = await createTrainer(spec, { worker: false });
    await t.fit(x, y, { epochs: 1, batchSize: 4 });
    const before = t.getWeights();
    const bad = x.slice();
    bad[0] = NaN;
    const history = await t.fit(bad, y, { epochs: 1, batchSize: 8, shuffle: false });
    expect(history.stopReason).toBe('nan');
    expect(t.getWeights()).toEqual(before); // running_mean, running_var and num_batches_tracked included
    await t.dispose();
  });

  it('restoreBestWeights restores the running statistics of the best epoch too', async () => {
    const t = await createTrainer(spec, { worker: false });
    let first: Record<string, Float32Array> | null = null;
    // minDelta so large that no epoch after the first counts as better: the first is the best
    const history = await t.fit(x, y, {
      epochs: 10, batchSize: 4, earlyStopping: { monitor: 'loss', patience: 2, minDelta: 1e9, restoreBestWeights: true },
      onEpochEnd: (log) => { if (log.epoch === 1) first = t.getWeights(); },
    });
    expect(history.stopReason).toBe('early_stopping');
    expect(history.epochs).toHaveLength(4);
    expect(t.getWeights()).toEqual(first); // running statistics included
    await t.dispose();
  });
});
