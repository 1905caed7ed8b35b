// Pooling layers (maxpool2d, avgpool2d, maxpool1d, avgpool1d, globalavgpool) on their own, on both
// builds: forward against the float64 reference (test/reference/network.ts, torch's definitions) at
// channel counts around the f32x4 lane width, the input gradient against central differences of that
// reference (max pooling on distinct inputs, away from ties), torch's tie and NaN rules, and every
// spec error naming `layers[i].option` and the value. The network-level rows are in
// test/layers.test.ts (LAYER_CASES); the comparison with torch itself in test/golden.layers.pool.test.ts.
import { describe, expect, it } from 'vitest';
import { createTrainer, type Kernels, type LayerSpec, loadKernels, type TrainerSpec } from '../src/index.js';
import { layerFromSpec } from '../src/model/layers/index.js';
import { LAYER_REFERENCES } from './reference/network.js';
import { BUILDS } from './reference/builds.js';

type Spec = Record<string, unknown> & { type: string };

/** Forward and backward of one layer over `rows` rows of x, with dy as the output gradient. */
function run(k: Kernels, spec: Spec, inputShape: number[], x: Float32Array, dy?: Float32Array) {
  const layer = layerFromSpec(spec, 'layers[0]', 0, inputShape);
  const rows = x.length / layer.inputSize;
  const arrays = [x.length, rows * layer.outputSize, rows * layer.outputSize, x.length].map((n) => k.alloc(n));
  const [xa, out, dOut, dx] = arrays as [ReturnType<Kernels['alloc']>, ReturnType<Kernels['alloc']>, ReturnType<Kernels['alloc']>, ReturnType<Kernels['alloc']>];
  const own = Object.values(layer.buffers).map((perRow) => k.alloc(rows * perRow));
  const buffers = Object.fromEntries(Object.keys(layer.buffers).map((name, i) => [name, own[i]!.ptr]));
  xa.array.set(x);
  dx.array.fill(NaN);
  const args = {
    x: xa.ptr, rows, out: out.ptr, buffers, params: [], states: [], gemmScratch: 0, training: null,
    dOut: dOut.ptr, dx: dx.ptr, grads: [], inputs: [xa.ptr], dxs: [dx.ptr], trainable: true,
  };
  layer.forward(k.raw, args);
  const y = Float32Array.from(out.array);
  let gradient: Float32Array | undefined;
  if (dy) {
    dOut.array.set(dy);
    layer.backward(k.raw, args);
    gradient = Float32Array.from(dx.array);
  }
  for (const a of [...arrays, ...own]) a.free();
  return { layer, y, dx: gradient };
}

/** The float64 reference forward of every row. */
function reference(spec: Spec, inputShape: number[], x: ArrayLike<number>): number[] {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let r = 0; r < x.length / size; r++) {
    const row = Array.from({ length: size }, (_, j) => x[r * size + j]!);
    out.push(...LAYER_REFERENCES[spec.type]!(spec as unknown as LayerSpec, row, {}, 0, inputShape)[0]);
  }
  return out;
}

/** Distinct values ≥ 0.01 apart in a seeded order, centred on 0 (no ties in any window). */
function distinct(n: number, seed: number): Float32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Float32Array.from(order, (v) => 0.01 * (v - n / 2));
}

const ROWS = 2;
// channel counts around the lane width: the f32x4 body, its scalar tail, and both
const CHANNELS = [1, 3, 4, 5, 8, 9];
const SHAPES: [string, Spec, (c: number) => number[]][] = [
  ['maxpool2d pool 2 stride 1', { type: 'maxpool2d', poolSize: 2, stride: 1 }, (c) => [4, 3, c]],
  ['maxpool2d pool 3 stride 2 padding 1', { type: 'maxpool2d', poolSize: 3, stride: 2, padding: 1 }, (c) => [5, 4, c]],
  ['maxpool2d pool [1, 3] stride [2, 1] padding [0, 1]', { type: 'maxpool2d', poolSize: [1, 3], stride: [2, 1], padding: [0, 1] }, (c) => [3, 4, c]],
  ['avgpool2d pool 2', { type: 'avgpool2d', poolSize: 2 }, (c) => [5, 5, c]],
  ['avgpool2d pool [3, 2] stride [2, 3] padding 1', { type: 'avgpool2d', poolSize: [3, 2], stride: [2, 3], padding: 1 }, (c) => [4, 7, c]],
  ['maxpool1d pool 3 stride 2', { type: 'maxpool1d', poolSize: 3, stride: 2 }, (c) => [7, c]],
  ['maxpool1d pool 2 stride 3 padding 1', { type: 'maxpool1d', poolSize: 2, stride: 3, padding: 1 }, (c) => [8, c]],
  ['avgpool1d pool 4 stride 1 padding 2', { type: 'avgpool1d', poolSize: 4, stride: 1, padding: 2 }, (c) => [5, c]],
  ['globalavgpool over [H, W, C]', { type: 'globalavgpool' }, (c) => [3, 4, c]],
  ['globalavgpool over [T, C]', { type: 'globalavgpool' }, (c) => [5, c]],
];

describe.each(BUILDS)('pooling kernels (%s build)', (build) => {
  const cases = SHAPES.flatMap(([name, spec, shape]) => CHANNELS.map((c) => [`${name}, ${c} channels`, spec, shape(c)] as const));

  it.each(cases)('%s: forward = reference, input gradient = central differences', async (_name, spec, inputShape) => {
    const k = await loadKernels({ build });
    const size = inputShape.reduce((a, b) => a * b, 1);
    const x = distinct(ROWS * size, size);
    const want = reference(spec, inputShape, x);
    const dy = Float32Array.from({ length: want.length }, (_, i) => Math.cos(1.7 * i + 0.3));
    const { layer, y, dx } = run(k, spec, inputShape, x, dy);
    expect(y.length).toBe(want.length);
    want.forEach((v, i) => expect(Math.abs(y[i]! - v), `output ${i}`).toBeLessThan(1e-6 + 1e-6 * Math.abs(v)));
    // ∂(Σ dy ⊙ f(x)) / ∂x_i by central differences in float64; h below half the gap between inputs
    const x64 = Array.from(x);
    const objective = () => reference(spec, inputShape, x64).reduce((s, v, j) => s + dy[j]! * v, 0);
    const h = 1e-3;
    for (let i = 0; i < x64.length; i++) {
      const v = x64[i]!;
      x64[i] = v + h;
      const plus = objective();
      x64[i] = v - h;
      const minus = objective();
      x64[i] = v;
      const fd = (plus - minus) / (2 * h);
      expect(Math.abs(dx![i]! - fd), `dx ${i} of ${layer.label}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(fd));
    }
  });

  it('max pooling ties: the whole gradient goes to the first maximum in row-major window order (torch)', async () => {
    const k = await loadKernels({ build });
    // [2, 3, 5] rows of equal values per channel: every window of pool 2, stride 1 is one big tie
    const x = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => i % 5);
    const { dx } = run(k, { type: 'maxpool2d', poolSize: 2, stride: 1 }, [2, 3, 5], x, new Float32Array(2 * 5).fill(1));
    // outputs (0, 0) and (0, 1) route to inputs (0, 0) and (0, 1): their first positions
    expect(Array.from(dx!)).toEqual([...Array(5).fill(1), ...Array(5).fill(1), ...Array(20).fill(0)]);
    // with padding, padded positions never win: all-negative ties go to the first real position
    const negative = new Float32Array(3 * 4).fill(-2);
    const padded = run(k, { type: 'maxpool1d', poolSize: 3, stride: 2, padding: 1 }, [3, 4], negative, new Float32Array(2 * 4).fill(1));
    expect(Array.from(padded.y)).toEqual(Array(8).fill(-2));
    expect(Array.from(padded.dx!)).toEqual([...Array(4).fill(1), ...Array(4).fill(1), ...Array(4).fill(0)]);
  });

  it('max pooling propagates NaN, and its gradient goes to the last NaN of the window (torch: val > max || isnan(val))', async () => {
    const k = await loadKernels({ build });
    // 4 positions × 5 channels (value = position), one window over all of them; channel 1 is NaN but at
    // position 3, channel 2 at position 0 only; channels 1 and 4 run in the scalar tail or the f32x4 body
    const x = Float32Array.from({ length: 4 * 5 }, (_, i) => {
      const [position, channel] = [Math.floor(i / 5), i % 5];
      return channel === 1 && position !== 3 ? NaN : channel === 2 && position === 0 ? NaN : position;
    });
    const { y, dx } = run(k, { type: 'maxpool1d', poolSize: 4 }, [4, 5], x, Float32Array.from([1, 2, 3, 4, 5]));
    expect(Array.from(y)).toEqual([3, NaN, NaN, 3, 3]);
    const at = (position: number, channel: number) => dx![position * 5 + channel];
    expect([at(3, 0), at(2, 1), at(0, 2), at(3, 3), at(3, 4)]).toEqual([1, 2, 3, 4, 5]);
    expect(dx!.reduce((s, v) => s + v, 0)).toBe(15);
  });
});

describe('pooling specs', () => {
  const base = { loss: 'mse', optimizer: 'sgd' } as const;
  const make = (inputShape: number[], layers: unknown[]) =>
    createTrainer({ ...base, inputShape, layers: [...layers, { type: 'flatten' }, { units: 2 }] } as TrainerSpec, { worker: false });

  it.each([
    [[5, 5, 3], { type: 'maxpool2d' }, RangeError, /layers\[0\]\.poolSize must be a positive integer or \[height, width\] of them, got undefined/],
    [[5, 5, 3], { type: 'maxpool2d', poolSize: 0 }, RangeError, /layers\[0\]\.poolSize must be a positive integer or \[height, width\] of them, got 0/],
    [[5, 5, 3], { type: 'avgpool2d', poolSize: 2.5 }, RangeError, /layers\[0\]\.poolSize must be a positive integer .*got 2\.5/],
    [[5, 5, 3], { type: 'avgpool2d', poolSize: [2, -1] }, RangeError, /layers\[0\]\.poolSize must be a positive integer .*got \[2, -1\]/],
    [[5, 5, 3], { type: 'avgpool2d', poolSize: [2, 2, 2] }, RangeError, /layers\[0\]\.poolSize must be a positive integer .*got \[2, 2, 2\]/],
    [[5, 5, 3], { type: 'maxpool2d', poolSize: '2' }, TypeError, /layers\[0\]\.poolSize must be a positive integer .*got "2"/],
    [[5, 3], { type: 'maxpool1d', poolSize: [2, 2] }, RangeError, /layers\[0\]\.poolSize must be a positive integer, got \[2, 2\]/],
    [[5, 5, 3], { type: 'maxpool2d', poolSize: 2, stride: 0 }, RangeError, /layers\[0\]\.stride must be a positive integer or \[height, width\] of them, got 0/],
    [[5, 3], { type: 'avgpool1d', poolSize: 2, stride: -2 }, RangeError, /layers\[0\]\.stride must be a positive integer, got -2/],
    [[5, 5, 3], { type: 'maxpool2d', poolSize: 2, padding: -1 }, RangeError, /layers\[0\]\.padding must be a non-negative integer or \[height, width\] of them, got -1/],
    [[5, 5, 3], { type: 'maxpool2d', poolSize: 2, padding: 'same' }, TypeError, /layers\[0\]\.padding must be a non-negative integer or \[height, width\] of them, got "same"/],
    [[5, 5, 3], { type: 'avgpool2d', poolSize: 3, padding: 2 }, RangeError, /layers\[0\]\.padding must be at most half the pool size \(torch's rule: ≤ floor\(poolSize \/ 2\) = 1\), got \[2, 2\] with poolSize \[3, 3\]/],
    [[6, 3], { type: 'maxpool1d', poolSize: 1, padding: 1 }, RangeError, /layers\[0\]\.padding must be at most half the pool size .*= 0\), got 1 with poolSize 1/],
    [[2, 5, 3], { type: 'maxpool2d', poolSize: 3 }, RangeError, /layers\[0\]\.poolSize must fit in the padded input, got \[3, 3\]: the window height 3 exceeds the input height 2 \+ 2 × padding 0 \(input shape \[2, 5, 3\]\)/],
    [[5, 2, 1], { type: 'avgpool2d', poolSize: [1, 5], padding: [0, 1] }, RangeError, /layers\[0\]\.poolSize must fit .*got \[1, 5\]: the window width 5 exceeds the input width 2 \+ 2 × padding 1/],
    [[4, 3], { type: 'maxpool1d', poolSize: 5 }, RangeError, /layers\[0\]\.poolSize must fit in the padded input, got 5: the window length 5 exceeds the input length 4/],
    [[12], { type: 'maxpool2d', poolSize: 2 }, RangeError, /layers\[0\] \(maxpool2d\) needs an input of shape \[H, W, C\], got \[12\]/],
    [[4, 3], { type: 'avgpool2d', poolSize: 2 }, RangeError, /layers\[0\] \(avgpool2d\) needs an input of shape \[H, W, C\], got \[4, 3\]/],
    [[4, 4, 3], { type: 'maxpool1d', poolSize: 2 }, RangeError, /layers\[0\] \(maxpool1d\) needs an input of shape \[T, C\], got \[4, 4, 3\]/],
    [[6], { type: 'globalavgpool' }, RangeError, /layers\[0\] \(globalavgpool\) needs an input of shape \[H, W, C\] or \[T, C\], got \[6\]/],
    [[4, 4, 3], { type: 'maxpool2d', poolSize: 2, dilation: 2 }, TypeError, /unknown option "dilation" in layers\[0\]; it takes type, poolSize, stride, padding/],
    [[4, 3], { type: 'globalavgpool', poolSize: 2 }, TypeError, /unknown option "poolSize" in layers\[0\]; it takes type/],
  ])('inputShape %j, %j is refused', async (inputShape, layer, kind, message) => {
    const made = make(inputShape, [layer]);
    await expect(made).rejects.toThrow(kind);
    await expect(make(inputShape, [layer])).rejects.toThrow(message);
  });

  it('the error names the layer\'s index after other layers', async () => {
    await expect(make([4, 4, 3], [{ type: 'maxpool2d', poolSize: 2 }, { type: 'maxpool2d', poolSize: 3 }]))
      .rejects.toThrow(/layers\[1\]\.poolSize must fit in the padded input, got \[3, 3\]: the window height 3 exceeds the input height 2/);
  });

  it('padding "valid" is no padding; stride defaults to poolSize; summary() shows the pooled widths', async () => {
    const t = await createTrainer({
      ...base, inputShape: [7, 6, 3],
      layers: [{ type: 'maxpool2d', poolSize: 2, padding: 'valid' }, { type: 'avgpool2d', poolSize: [2, 1] }, { type: 'globalavgpool' }, { units: 2 }],
    } as TrainerSpec, { worker: false });
    expect(t.summary().split('\n').slice(1, 5).map((line) => line.split(/ +/).filter(Boolean))).toEqual([
      ['0', 'maxpool2d(2)', '3×3×3', '0'],
      ['1', 'avgpool2d(2x1)', '1×3×3', '0'],
      ['2', 'globalavgpool', '3', '0'],
      ['3', 'dense', '2', 'linear', '8'],
    ]);
    await t.dispose();
  });
});
