// conv2d and conv1d beyond the layer table (test/layers.test.ts): every bad spec refused at parsing
// with the layer's path, the rule and the value; a batch spanning several im2col tiles (tile
// boundaries inside an image) against the float64 reference, forward and gradient; checkpoints
// round-trip; summary() labels; no WASM allocation per batch (the im2col tiles live in the shared
// GEMM scratch, sized once per capacity).
import { describe, expect, it } from 'vitest';
import { createTrainer, type LayerSpec, type TrainerSpec } from '../src/index.js';
import { centralDifferences } from './reference/gradcheck.js';
import { referenceForward, referenceObjective } from './reference/network.js';
import { BUILDS } from './reference/builds.js';
import { allocationsOfSecondFit } from './reference/allocations.js';

const base = { loss: 'mse', optimizer: { name: 'sgd', learningRate: 1 }, seed: 4 } as const;
const conv2d = (extra: Record<string, unknown>) => ({ type: 'conv2d', filters: 2, kernelSize: 3, ...extra }) as LayerSpec;
const conv1d = (extra: Record<string, unknown>) => ({ type: 'conv1d', filters: 2, kernelSize: 3, ...extra }) as LayerSpec;
const head: LayerSpec[] = [{ type: 'flatten' }, { units: 2 }];

describe('conv specs', () => {
  it.each([
    // shapes
    [[5], conv2d({}), /layers\[0\] \(conv2d\) needs rows of shape \[H, W, C\] \(channels-last\), got inputShape \[5\]$/],
    [[6, 2], conv2d({}), /layers\[0\] \(conv2d\) needs rows of shape \[H, W, C\] \(channels-last\), got inputShape \[6, 2\]; for one channel, write inputShape: \[6, 2, 1\]$/],
    [[4, 4, 1], conv1d({}), /layers\[0\] \(conv1d\) needs rows of shape \[T, C\] \(channels-last\), got inputShape \[4, 4, 1\]$/],
    // sizes
    [[6, 6, 1], conv2d({ filters: 0 }), /layers\[0\]\.filters must be a positive integer, got 0/],
    [[6, 6, 1], conv2d({ filters: 2.5 }), /layers\[0\]\.filters must be a positive integer, got 2.5/],
    [[6, 6, 1], conv2d({ kernelSize: undefined }), /layers\[0\]\.kernelSize must be a positive integer or \[height, width\] of positive integers, got undefined/],
    [[6, 6, 1], conv2d({ kernelSize: 0 }), /layers\[0\]\.kernelSize must be a positive integer .*got 0/],
    [[6, 6, 1], conv2d({ kernelSize: [3] }), /layers\[0\]\.kernelSize must be a positive integer or \[height, width\] of positive integers, got \[3\]/],
    [[6, 6, 1], conv2d({ kernelSize: [3, 3, 3] }), /layers\[0\]\.kernelSize .*got \[3, 3, 3\]/],
    [[6, 2], conv1d({ kernelSize: [3, 3] }), /layers\[0\]\.kernelSize must be a positive integer or \[length\], a positive integer, got \[3, 3\]/],
    [[6, 6, 1], conv2d({ stride: 0 }), /layers\[0\]\.stride must be a positive integer .*got 0/],
    [[6, 6, 1], conv2d({ stride: [1, -2] }), /layers\[0\]\.stride must be a positive integer .*got \[1, -2\]/],
    [[6, 6, 1], conv2d({ dilation: 1.5 }), /layers\[0\]\.dilation must be a positive integer .*got 1.5/],
    [[6, 6, 1], conv2d({ padding: -1 }), /layers\[0\]\.padding must be 'valid', 'same', a non-negative integer or \[height, width\] of non-negative integers, got -1/],
    [[6, 6, 1], conv2d({ padding: 'full' }), /layers\[0\]\.padding must be 'valid', 'same', .*got "full"/],
    [[6, 2], conv1d({ padding: [1, 1] }), /layers\[0\]\.padding must be 'valid', 'same', a non-negative integer or \[length\], .*got \[1, 1\]/],
    // torch refuses padding='same' with a stride
    [[6, 6, 1], conv2d({ padding: 'same', stride: 2 }), /layers\[0\]\.padding 'same' needs stride 1 \(as torch\), got stride \[2, 2\]; give the padding as a number instead/],
    [[6, 2], conv1d({ padding: 'same', stride: [2] }), /layers\[0\]\.padding 'same' needs stride 1 \(as torch\), got stride \[2\]/],
    // the kernel must fit in the padded input
    [[4, 4, 1], conv2d({ kernelSize: 5 }), /layers\[0\] \(conv2d\): the kernel spans 5 × 5 \(kernelSize 5 × 5, dilation 1 × 1\) but the padded input is 4 × 4 \(input 4 × 4, padding 0 × 0 in all\)/],
    [[6, 3, 1], conv2d({ kernelSize: 2, dilation: [1, 3] }), /the kernel spans 2 × 4 \(kernelSize 2 × 2, dilation 1 × 3\) but the padded input is 6 × 3/],
    [[4, 2], conv1d({ kernelSize: 3, dilation: 2, padding: 0 }), /layers\[0\] \(conv1d\): the kernel spans 5 \(kernelSize 3, dilation 2\) but the padded input is 4 \(input 4, padding 0 in all\)/],
    // options shared with dense
    [[6, 6, 1], conv2d({ activation: 'swish' }), /layers\[0\]\.activation must be one of 'linear', 'relu', .*; got "swish"$/],
    [[6, 6, 1], conv2d({ init: 'zeros' }), /layers\[0\]\.init must be one of 'glorotUniform', 'heNormal', 'lecunNormal', 'torchDefault'; got "zeros"$/],
    [[6, 6, 1], conv2d({ useBias: 1 }), /layers\[0\]\.useBias must be a boolean, got 1/],
    [[6, 6, 1], conv2d({ units: 3 }), /unknown option "units" in layers\[0\]; it takes type, filters, kernelSize, stride, padding, dilation, activation, useBias, init/],
  ])('inputShape %j, %j is refused naming the option', async (inputShape, layer, message) => {
    await expect(createTrainer({ ...base, inputShape, layers: [layer, ...head] } as TrainerSpec, { worker: false })).rejects.toThrow(message);
  });

  it('a kernel as large as the padded input fits (one output position)', async () => {
    const t = await createTrainer({ ...base, inputShape: [3, 4, 2], layers: [conv2d({ kernelSize: [5, 4], padding: [1, 0] }), ...head] } as TrainerSpec, { worker: false });
    expect(t.getWeights()['2.weight']).toHaveLength(2 * 2); // [1, 1, 2] flattened
    await t.dispose();
  });

  it('a dense layer right after a conv2d asks for a flatten; so does the loss', async () => {
    await expect(createTrainer({ ...base, inputShape: [5, 5, 1], layers: [conv2d({}), { units: 2 }] } as TrainerSpec, { worker: false }))
      .rejects.toThrow(/layers\[1\] \(dense\) needs a flat input \[n\] or a sequence \[T, n\]: add \{ type: 'flatten' \} .*got shape \[3, 3, 2\]/);
    await expect(createTrainer({ ...base, inputShape: [5, 5, 1], layers: [conv2d({})] } as TrainerSpec, { worker: false }))
      .rejects.toThrow(/the last layer must give a flat output \[K\] or a sequence \[T, K\] for the loss: .*got shape \[3, 3, 2\]/);
  });

  it('summary() shows the kernel, the output size and the parameter count', async () => {
    const t = await createTrainer({ ...base, inputShape: [8, 8, 3], layers: [conv2d({ filters: 4, kernelSize: [3, 2], activation: 'relu' }), conv2d({ filters: 5, kernelSize: 1, useBias: false }), ...head] } as TrainerSpec, { worker: false });
    const lines = t.summary().split('\n').map((line) => line.split(/ +/).filter(Boolean));
    expect(lines.slice(1, 3)).toEqual([['0', 'conv2d(3×2)', '6×7×4', 'relu', String(4 * 3 * 6 + 4)], ['1', 'conv2d(1×1)', '6×7×5', 'linear', '20']]);
    await t.dispose();
  });
});

describe.each(BUILDS)('conv over several im2col tiles (%s build)', (build) => {
  // 7 rows of 9 × 11 positions (693) and 7 rows of 5 × 6 (210): tiles of 256 positions end inside images
  const spec: TrainerSpec = {
    ...base,
    inputShape: [9, 11, 3],
    layers: [
      { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh' },
      { type: 'conv2d', filters: 5, kernelSize: 3, stride: 2, padding: 1 },
      ...head,
    ],
  };
  const rows = 7;
  const x = Float32Array.from({ length: rows * 9 * 11 * 3 }, (_, i) => Math.sin(0.37 * i + 0.2));
  const y = Float32Array.from({ length: rows * 2 }, (_, i) => Math.cos(0.9 * i));

  it('forward and the conv weights\' gradients match the float64 reference; checkpoints round-trip', async () => {
    const t = await createTrainer(spec, { worker: false, build });
    const weights = t.getWeights();
    const w64 = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)]));
    const got = await t.predict(x, { raw: true });
    referenceForward(spec, w64, x).flat().forEach((want, i) => expect(Math.abs(got[i]! - want), `output ${i}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(want)));

    const restored = await createTrainer(await t.save(), { worker: false, build });
    expect(Array.from(await restored.predict(x, { raw: true }))).toEqual(Array.from(got));
    await restored.dispose();

    // one SGD step with learning rate 1 moves each parameter by −∂loss/∂p: the conv tensors against central differences
    await t.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false });
    const after = t.getWeights();
    await t.dispose();
    const checked = ['0.weight', '0.bias', '1.weight', '1.bias'];
    const { worst, scale } = centralDifferences(w64, (name, i) => weights[name]![i]! - after[name]![i]!, () => referenceObjective(spec, w64, x, y), 1e-6,
      (name) => !checked.includes(name));
    expect(worst).toBeLessThan(2e-4 * scale + 1e-6);
    expect(scale).toBeGreaterThan(1e-3);
  });
});

describe('conv allocation', () => {
  it.each(BUILDS)('allocates per fit, not per batch (%s build)', async (build) => {
    const spec: TrainerSpec = {
      ...base,
      inputShape: [6, 5, 2],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'conv2d', filters: 4, kernelSize: 2, stride: 2 },
        ...head,
      ],
    };
    const data = (rows: number) => ({
      x: Float32Array.from({ length: rows * 60 }, (_, i) => Math.sin(0.37 * i)),
      y: Float32Array.from({ length: rows * 2 }, (_, i) => Math.cos(i)),
    });
    const counts = (rows: number) => allocationsOfSecondFit(spec, build, rows, data, { epochs: 1, batchSize: 8 }, { epochs: 2, batchSize: 8 });
    expect(await counts(256)).toBe(await counts(16)); // 32 batches an epoch, or 2
  });
});
