// Initialisers against the distributions they are named for. torchDefault is torch's reset_parameters
// of nn.Linear and nn.ConvNd: kaiming_uniform_(weight, a = √5), whose bound is gain·√(3 / fan_in) with
// gain = √(2 / (1 + a²)) (torch.nn.init.calculate_gain('leaky_relu', a)), and bias ~ U(±1 / √fan_in);
// fan_in is in_features, or in_channels × the kernel's area. The bounds below are derived from those
// formulas, not from descent's code. glorotUniform keeps zero biases.
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';

const kaimingUniformBound = (fanIn: number, a: number) => Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn);

/** Checks that `values` look like U(−bound, bound): inside it, reaching near both ends, mean and variance of the uniform. */
function expectUniform(values: Float32Array, bound: number, what: string): void {
  const n = values.length;
  let max = -Infinity;
  let min = Infinity;
  let sum = 0;
  let sq = 0;
  for (const v of values) {
    max = Math.max(max, v);
    min = Math.min(min, v);
    sum += v;
    sq += v * v;
  }
  expect(max, `${what} max`).toBeLessThanOrEqual(bound);
  expect(min, `${what} min`).toBeGreaterThanOrEqual(-bound);
  // each end is reached within 0.1·b unless all n draws miss it: P = 0.95^n, below 4e-5 for n ≥ 200
  expect(n, `${what} draws`).toBeGreaterThanOrEqual(200);
  expect(max, `${what} max`).toBeGreaterThan(0.9 * bound);
  expect(min, `${what} min`).toBeLessThan(-0.9 * bound);
  // mean 0 and variance b²/3, within five standard errors (sd of the mean b/√(3n); of the variance ≈ 0.3·b²/√n)
  expect(Math.abs(sum / n), `${what} mean`).toBeLessThan((5 * bound) / Math.sqrt(3 * n));
  expect(Math.abs(sq / n - (bound * bound) / 3), `${what} variance`).toBeLessThan((5 * 0.3 * bound * bound) / Math.sqrt(n));
}

describe("init: 'torchDefault' (torch's nn.Linear / nn.Conv2d defaults)", () => {
  it('dense: weight and bias ~ U(±1/√in_features), from kaiming_uniform(a = √5) and the bias rule', async () => {
    const spec: TrainerSpec = {
      inputSize: 50, layers: [{ units: 256, activation: 'tanh', init: 'torchDefault' }, { units: 300, init: 'torchDefault' }], loss: 'mse', seed: 3,
    };
    const t = await createTrainer(spec, { worker: false });
    const w = t.getWeights();
    expectUniform(w['0.weight']!, kaimingUniformBound(50, Math.sqrt(5)), '0.weight');
    expectUniform(w['0.bias']!, 1 / Math.sqrt(50), '0.bias');
    expectUniform(w['1.weight']!, kaimingUniformBound(256, Math.sqrt(5)), '1.weight');
    expectUniform(w['1.bias']!, 1 / Math.sqrt(256), '1.bias');
    await t.dispose();
  });

  it('conv2d: fan_in = in_channels × kernel area, for the weight and the bias', async () => {
    const spec: TrainerSpec = {
      inputShape: [8, 8, 3], layers: [{ type: 'conv2d', filters: 256, kernelSize: 3, init: 'torchDefault' }, { type: 'flatten' }, { units: 2 }], loss: 'mse', seed: 4,
    };
    const t = await createTrainer(spec, { worker: false });
    const w = t.getWeights();
    expectUniform(w['0.weight']!, kaimingUniformBound(3 * 3 * 3, Math.sqrt(5)), '0.weight');
    expectUniform(w['0.bias']!, 1 / Math.sqrt(27), '0.bias');
    await t.dispose();
  });

  it('glorotUniform (the default) keeps zero biases and U(±√(6 / (fan_in + fan_out))) weights; the seed fixes the draw', async () => {
    const spec: TrainerSpec = { inputSize: 50, layers: [{ units: 40 }], loss: 'mse', seed: 3 };
    const t = await createTrainer(spec, { worker: false });
    const w = t.getWeights();
    expectUniform(w['0.weight']!, Math.sqrt(6 / (50 + 40)), '0.weight');
    expect(Array.from(w['0.bias']!).every((v) => v === 0)).toBe(true);
    const again = await createTrainer({ ...spec, layers: [{ units: 40, init: 'torchDefault' }] }, { worker: false });
    const same = await createTrainer({ ...spec, layers: [{ units: 40, init: 'torchDefault' }] }, { worker: false });
    expect(again.getWeights()).toEqual(same.getWeights());
    for (const trainer of [t, again, same]) await trainer.dispose();
  });
});

describe("lstm and gru: every tensor ~ U(±1/√units), torch's RNNBase.reset_parameters", () => {
  it.each([['lstm', 64], ['gru', 80]] as const)('%s(%i): weight_ih, weight_hh, bias_ih, bias_hh', async (type, units) => {
    const spec: TrainerSpec = { inputShape: [7, 20], layers: [{ type, units }, { units: 2 }], loss: 'mse', seed: 6 };
    const t = await createTrainer(spec, { worker: false });
    const w = t.getWeights();
    for (const tensor of ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']) expectUniform(w[`0.${tensor}`]!, 1 / Math.sqrt(units), `0.${tensor}`);
    await t.dispose();
  });
});
