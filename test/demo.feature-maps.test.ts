// The demo's CNN feature maps (demo/feature-maps.js, float64 in the page) against the library's own
// forward pass (float32 WASM): a network that ends at its second conv layer's output predicts exactly
// the maps the page draws, for raw and for standardised inputs.
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
// @ts-expect-error: plain JavaScript module without declarations
import { featureMaps } from '../demo/feature-maps.js';

const spec: TrainerSpec = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'valid', activation: 'relu' },
    { type: 'flatten' },
  ],
  loss: 'mse',
  seed: 3,
};

interface Maps { layer: number; filters: number; h: number; w: number; maps: Float64Array[] }

describe('CNN feature maps in the demo', () => {
  it("match the trainer's forward pass (first layer's shape, last layer's values)", async () => {
    const trainer = await createTrainer(spec, { worker: false });
    const weights = await trainer.getWeights();
    const image = Float32Array.from({ length: 64 }, (_, p) => ((p * 37) % 17) / 16);
    const layers: Maps[] = featureMaps(spec, weights, null, image);
    expect(layers.map(({ layer, filters, h, w }) => [layer, filters, h, w])).toEqual([[0, 3, 8, 8], [2, 4, 2, 2]]);
    const out = await trainer.predict(image); // 2 × 2 × 4, channels last
    const last = layers[1]!;
    for (let p = 0; p < 4; p++) for (let f = 0; f < 4; f++) expect(last.maps[f]![p]).toBeCloseTo(out[p * 4 + f]!, 4);
    expect(out.some((v) => v > 0)).toBe(true); // not a dead network: the comparison compares something
    await trainer.dispose();
  });

  it('standardise the image with the given mean and std first', async () => {
    const trainer = await createTrainer(spec, { worker: false });
    const weights = await trainer.getWeights();
    const image = Float32Array.from({ length: 64 }, (_, p) => (p % 9) / 2);
    const mean = Array.from({ length: 64 }, (_, p) => p / 64);
    const std = Array.from({ length: 64 }, (_, p) => 0.5 + (p % 3));
    const standardised = Float32Array.from(image, (v, p) => (v - mean[p]!) / std[p]!);
    const direct: Maps[] = featureMaps(spec, weights, null, standardised);
    const viaStats: Maps[] = featureMaps(spec, weights, { mean, std }, image);
    for (let f = 0; f < 4; f++) for (let p = 0; p < 4; p++) expect(viaStats[1]!.maps[f]![p]).toBeCloseTo(direct[1]!.maps[f]![p]!, 5);
    await trainer.dispose();
  });
});
