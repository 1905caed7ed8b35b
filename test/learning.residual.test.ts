// A residual block does not cost the MNIST CNN anything in learning: the layers issue's CNN (conv
// 3×3×16 same relu → maxpool 2 → conv 3×3×32 same relu → maxpool 2 → flatten → dense 10) and the
// same with a residual block after its second convolution (conv 3×3×32 same, added to the block's
// input, then relu) train the same 3 epochs on the same 8 000 digits (seeded 80/20 split of the
// `mnist` package, Adam with a cosine decay, batch 32) and the residual one is at least as accurate
// on the 2 000 held-out digits, up to the held-out set's own noise: at 98 % one standard error is
// √(0.98 · 0.02 / 2000) ≈ 0.31 points, so it may trail by at most one of those.
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, type TrainerSpec } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadMnist, trainTestSplit } from '../data/datasets.mjs';

const EPOCHS = 3;
const STANDARD_ERROR = Math.sqrt((0.98 * 0.02) / 2000);

const specOf = (layers: LayerSpec[]): TrainerSpec => ({
  inputShape: [28, 28, 1], layers, loss: 'softmax_cross_entropy', seed: 1,
  optimizer: { name: 'adam', learningRate: { name: 'cosine', initial: 3e-3, tMax: EPOCHS * 250 } },
});

const plain = specOf([
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2 },
  { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2 },
  { type: 'flatten' },
  { units: 10 },
]);

const residual = specOf([
  { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2 },
  { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', name: 'block' },
  { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', name: 'branch' },
  { type: 'add', inputs: ['block', 'branch'] },
  { type: 'activation', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2 },
  { type: 'flatten' },
  { units: 10 },
]);

async function heldOutAccuracy(spec: TrainerSpec, train: { x: Float32Array; y: Int32Array }, test: { x: Float32Array; y: Int32Array }): Promise<number> {
  const t = await createTrainer(spec, { worker: false });
  try {
    await t.fit(await t.dataset(train.x, train.y), { epochs: EPOCHS, batchSize: 32 });
    return (await t.evaluate(test.x, test.y)).accuracy!;
  } finally {
    await t.dispose();
  }
}

describe('MNIST CNN with a residual block', () => {
  it(`learns at least as well as the plain CNN in the same ${EPOCHS} epochs`, async () => {
    const { train, test } = trainTestSplit(loadMnist(), 0.2, 7) as { train: { x: Float32Array; y: Int32Array }; test: { x: Float32Array; y: Int32Array } };
    const plainAccuracy = await heldOutAccuracy(plain, train, test);
    const residualAccuracy = await heldOutAccuracy(residual, train, test);
    console.log(`[learning] MNIST after ${EPOCHS} epochs: plain CNN ${(plainAccuracy * 100).toFixed(2)} %, residual ${(residualAccuracy * 100).toFixed(2)} % held-out`);
    expect(plainAccuracy).toBeGreaterThan(0.95); // both really learned
    expect(residualAccuracy).toBeGreaterThanOrEqual(plainAccuracy - STANDARD_ERROR);
  }, 600_000);
});
