// Every bad input of the loss contract throws before any kernel runs: the right class, a message
// naming the argument and the value got, and nothing lost (memory not grown, arrays untouched,
// the next valid call right).
import { describe, expect, it } from 'vitest';
import { loadKernels, type LossOptions } from '../src/index.js';
import { BUILDS } from './reference/builds.js';

type Call = [string, (k: Awaited<ReturnType<typeof loadKernels>>) => unknown, typeof TypeError | typeof RangeError, RegExp];

const x6 = new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
const y6 = new Float32Array([0, 1, 0, 1, 0, 1]);
const logits = new Float32Array([1, 2, 3, 4, 5, 6]); // 2 rows × 3 classes with two labels

const CASES: Call[] = [
  ['unknown loss name', (k) => k.loss('msee' as never, x6, y6), RangeError, /loss name must be one of 'mse', 'mae', .*; got "msee"; did you mean 'mse'\?$/],
  ['length mismatch', (k) => k.loss('mse', x6, y6.subarray(0, 5)), RangeError, /target length must equal input length 6, got 5/],
  ['shape product ≠ length', (k) => k.loss('mse', x6, y6, { shape: [4, 2] }), RangeError, /shape \[4, 2\] must multiply to the input length 6, got 8/],
  ['shape not two positive integers', (k) => k.loss('mse', x6, y6, { shape: [6, 0] as never }), RangeError, /shape must be \[rows, cols\] of positive integers, got \[6, 0\]/],
  ['empty input', (k) => k.loss('mse', new Float32Array(0), new Float32Array(0)), RangeError, /input must not be empty, got length 0/],
  ['class index ≥ C', (k) => k.loss('softmax_cross_entropy', logits, new Int32Array([1, 3])), RangeError, /target\[1\] must be a class index in \[0, 3\) or ignoreIndex -100, got 3/],
  ['negative class index', (k) => k.loss('nll', logits, new Int32Array([-1, 0])), RangeError, /target\[0\] must be a class index in \[0, 3\) or ignoreIndex -100, got -1/],
  ['class index via number[] for nll', (k) => k.loss('nll', logits, [0, 7]), RangeError, /target\[1\] must be a class index in \[0, 3\) .*got 7/],
  ['non-integer class index for nll', (k) => k.loss('nll', logits, [0, 1.5]), RangeError, /target\[1\] must be a class index .*got 1.5/],
  ['labelSmoothing > 1', (k) => k.loss('softmax_cross_entropy', logits, new Int32Array([0, 1]), { labelSmoothing: 1.5 }), RangeError, /labelSmoothing must be in \[0, 1\], got 1.5/],
  ['labelSmoothing NaN', (k) => k.loss('softmax_cross_entropy', logits, new Int32Array([0, 1]), { labelSmoothing: NaN }), RangeError, /labelSmoothing must be in \[0, 1\], got NaN/],
  ['class weight of the wrong length', (k) => k.loss('softmax_cross_entropy', logits, new Int32Array([0, 1]), { weight: [1, 2] }), RangeError, /weight length must equal the number of classes 3, got 2/],
  ['bce weight neither M nor C', (k) => k.loss('binary_cross_entropy', x6, y6, { weight: [1, 2, 3, 4] }), RangeError, /weight length must equal input length 6 or the number of columns 1, got 4/],
  ['posWeight of the wrong length', (k) => k.loss('bce_with_logits', x6, y6, { shape: [2, 3], posWeight: [1, 2] }), RangeError, /posWeight length must equal the number of columns 3, got 2/],
  ['delta = 0', (k) => k.loss('huber', x6, y6, { delta: 0 }), RangeError, /delta must be a positive finite number, got 0/],
  ['delta NaN', (k) => k.loss('huber', x6, y6, { delta: NaN }), RangeError, /delta must be a positive finite number, got NaN/],
  ['delta Infinity', (k) => k.loss('huber', x6, y6, { delta: Infinity }), RangeError, /delta must be a positive finite number, got Infinity/],
  ['scale ≤ 0', (k) => k.loss('barron', x6, y6, { scale: -1 }), RangeError, /scale must be a positive finite number, got -1/],
  ['beta < 0', (k) => k.loss('smooth_l1', x6, y6, { beta: -0.5 }), RangeError, /beta must be a non-negative finite number, got -0.5/],
  ['barron alpha NaN', (k) => k.loss('barron', x6, y6, { alpha: NaN }), RangeError, /alpha must be a number or -Infinity, got NaN/],
  ['barron alpha +Infinity', (k) => k.loss('barron', x6, y6, { alpha: Infinity }), RangeError, /alpha must be a number or -Infinity, got Infinity/],
  ['option typo', (k) => k.loss('huber', x6, y6, { delt: 2 } as LossOptions), TypeError, /unknown option "delt" for loss huber; it takes reduction, shape, grad, out, delta/],
  ['option of another loss', (k) => k.loss('mse', x6, y6, { delta: 2 }), TypeError, /unknown option "delta" for loss mse/],
  ['bad reduction', (k) => k.loss('mse', x6, y6, { reduction: 'avg' as never }), RangeError, /reduction must be one of 'mean', 'sum', 'none'; got "avg"$/],
  ['grad not boolean', (k) => k.loss('mse', x6, y6, { grad: 1 as never }), TypeError, /grad must be a boolean, got 1/],
  ['out of the wrong length', (k) => k.loss('mse', x6, y6, { out: k.alloc(5) }), RangeError, /out length must equal input length 6, got 5/],
  ['out not a WasmArray', (k) => k.loss('mse', x6, y6, { out: new Float32Array(6) as never }), TypeError, /out must be an f32 WasmArray, got Float32Array\(6\)/],
  ['out with grad: false', (k) => k.loss('mse', x6, y6, { out: k.alloc(6), grad: false }), TypeError, /out cannot be used with grad: false/],
  ['out aliasing the input', (k) => {
    const p = k.alloc(6);
    return k.loss('mse', p, y6, { out: p });
  }, TypeError, /out must not be the input or target array/],
  ['freed WasmArray input', (k) => {
    const p = k.alloc(6);
    p.free();
    return k.loss('mse', p, y6);
  }, TypeError, /input is a freed WasmArray/],
  ['i32 WasmArray as input', (k) => k.loss('mse', k.alloc(6, 'i32'), y6), TypeError, /input must be an f32 WasmArray, got i32/],
  ['Int32 target for a float loss', (k) => k.loss('mse', x6, new Int32Array(6)), TypeError, /target of loss mse must be float values like the input, got Int32Array\(6\)/],
  ['float target for nll', (k) => k.loss('nll', logits, new Float32Array(2)), TypeError, /target of loss nll must be class indices .*got Float32Array\(2\)/],
  ['Int32 target length not dividing the input', (k) => k.loss('softmax_cross_entropy', logits, new Int32Array(4)), RangeError, /target length must divide the input length 6 .*got 4/],
  ['ignoreIndex with probability targets', (k) => k.loss('softmax_cross_entropy', logits, y6, { shape: [2, 3], ignoreIndex: 0 }), TypeError, /ignoreIndex applies to class-index targets only/],
  ['non-integer ignoreIndex', (k) => k.loss('nll', logits, new Int32Array([0, 1]), { ignoreIndex: 0.5 }), RangeError, /ignoreIndex must be a 32-bit integer, got 0.5/],
  ['input a string', (k) => k.loss('mse', 'abc' as never, y6), TypeError, /input must be a Float32Array, Float64Array, number\[\], number\[\]\[\] or f32 WasmArray, got "abc"/],
  ['input an object', (k) => k.loss('mse', { length: 6 } as never, y6), TypeError, /input must be .* got Object/],
  ['ragged nested rows', (k) => k.loss('cross_entropy', [[0.5, 0.5], [1]], [[1, 0], [0, 1]]), RangeError, /input\[1\] must have 2 values like input\[0\], got 1/],
  ['options not an object', (k) => k.loss('mse', x6, y6, 3 as never), TypeError, /options must be an object, got 3/],
  ['allocating above 1 GiB', (k) => k.alloc(2 ** 28 + 1), RangeError, /length must be at most 268435452 elements .* got 268435457/],
  ['alloc of a bad type', (k) => k.alloc(4, 'f64' as never), RangeError, /type must be one of 'f32', 'i32'; got "f64"$/],
  ['alloc of a negative length', (k) => k.alloc(-1), RangeError, /length must be a non-negative integer, got -1/],
];

describe.each(BUILDS)('loss errors (%s build)', (build) => {
  it.each(CASES)('%s', async (_name, call, type, message) => {
    const k = await loadKernels({ build });
    const before = k.memory.buffer.byteLength;
    const inputs = [x6, y6, logits].map((a) => a.slice());
    let thrown: unknown;
    try {
      call(k);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toMatch(message);
    // nothing lost: arrays untouched, no memory grown, the next call right
    expect([x6, y6, logits]).toEqual(inputs);
    expect(k.memory.buffer.byteLength).toBe(before);
    expect(k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]).value).toBeCloseTo(0.068, 6);
  });

  it('a key set to undefined counts as absent; documented input forms are accepted', async () => {
    const k = await loadKernels({ build });
    expect(k.loss('huber', x6, y6, { delta: undefined, reduction: undefined }).value).toBeCloseTo(
      k.loss('huber', x6, y6).value as number, 12);
    const plain = k.loss('mse', Array.from(x6), Array.from(y6));
    const f64 = k.loss('mse', Float64Array.from(x6), Float64Array.from(y6));
    expect(plain).toEqual(f64);
    expect(k.loss('mse', x6, y6, { grad: false }).grad).toBeNull();
    expect(k.loss('nll', logits, [0, 2]).value).toBeCloseTo(-(1 + 6) / 2, 6);
  });
});

describe('arrays of another instance', () => {
  it('input or out from another loadKernels() instance is refused', async () => {
    const k = await loadKernels();
    const other = await loadKernels();
    const foreign = other.alloc(6);
    expect(() => k.loss('mse', foreign, y6)).toThrow(/input is a WasmArray of another kernels instance/);
    expect(() => k.loss('mse', x6, y6, { out: foreign })).toThrow(/out is a WasmArray of another kernels instance/);
  });
});

describe('loadKernels options', () => {
  it('rejects unknown options and a non-boolean simd', async () => {
    await expect(loadKernels({ simdd: true } as never)).rejects.toThrow(/unknown option "simdd" for loadKernels; it takes build, simd/);
    await expect(loadKernels({ simd: 'yes' } as never)).rejects.toThrow(/simd must be a boolean or undefined, got yes/);
    await expect(loadKernels(null as never)).rejects.toThrow(TypeError);
  });
});
