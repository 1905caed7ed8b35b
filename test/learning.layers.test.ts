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
