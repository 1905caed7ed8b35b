// The layers issue's MNIST CNN learns the digits: conv 3×3×16 same relu → maxpool 2 → conv 3×3×32
// same relu → maxpool 2 → flatten → dense 10 reaches ≥ 98 % held-out accuracy within 10 epochs
// (the `mnist` package's 10 000 digits, a seeded 80/20 split; it stops as soon as it gets there).
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadMnist, trainTestSplit } from '../data/datasets.mjs';

const spec: TrainerSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'flatten' },
    { units: 10 },
  ],
  loss: 'softmax_cross_entropy',
  // Adam with a cosine decay from 3e-3 over the ten epochs of 250 batches of 32 (8 000 training digits)
  optimizer: { name: 'adam', learningRate: { name: 'cosine', initial: 3e-3, tMax: 10 * 250 } },
  seed: 1,
};

describe('MNIST CNN', () => {
  it('reaches ≥ 98 % held-out accuracy within 10 epochs', async () => {
    const { train, test } = trainTestSplit(loadMnist(), 0.2, 7) as { train: { x: Float32Array; y: Int32Array }; test: { x: Float32Array; y: Int32Array } };
    const t = await createTrainer(spec, { worker: false });
    const trainSet = await t.dataset(train.x, train.y);
    const testSet = await t.dataset(test.x, test.y);
    let accuracy = 0;
    let epochs = 0;
    while (epochs < 10 && accuracy < 0.98) {
      await t.fit(trainSet, { epochs: 1, batchSize: 32 });
      epochs++;
      accuracy = (await t.evaluate(testSet)).accuracy!;
    }
    console.log(`[learning] MNIST CNN: ${(accuracy * 100).toFixed(2)} % held-out after ${epochs} epochs`);
    expect(accuracy).toBeGreaterThanOrEqual(0.98);
    await t.dispose();
  }, 600_000);
});
