// The conv2d benchmark case (src/bench): its FLOP count; its plain-JS baseline against the float64
// reference network (output) and the adjoint identities of a linear map (gradients); and its runners on
// a small case on every build, where descent's layer kernels must agree with that baseline before
// anything is timed (the full case takes seconds in plain JS, so runBenchmarks itself runs it only in
// bench/). Speed is never asserted.
import { describe, expect, it } from 'vitest';
import { BENCHMARK_CASES, caseData, caseFlops, type ConvCase } from '../src/bench/index.js';
import { type ConvGeometry, type PlainConvBuffers, plainConvPass } from '../src/bench/plain-conv.js';
import { convRunners } from '../src/bench/run.js';
import { loadKernels, type TrainerSpec } from '../src/index.js';
import { BUILDS } from './reference/builds.js';
import { referenceForward } from './reference/network.js';

const small: ConvCase = { kind: 'conv', name: 'small conv', rows: 3, height: 9, width: 7, channels: 4, filters: 9, kernel: 3 };
const geometry: ConvGeometry = { rows: 3, H: 9, W: 7, C: 4, Ho: 9, Wo: 7, F: 9, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pl: 1 };
const spec: TrainerSpec = { inputShape: [9, 7, 4], layers: [{ type: 'conv2d', filters: 9, kernelSize: 3, padding: 'same' }], loss: 'mse' };
const values = (n: number, phase: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(1.37 * i + phase));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.prototype.reduce.call(a, (s: number, v: number, i: number) => s + v * b[i]!, 0) as number;

/** The reference network's outputs, flat (rows × Ho × Wo × F), in float64. */
function reference(x: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number>): number[] {
  return referenceForward(spec, { '0.weight': Array.from(weight), '0.bias': Array.from(bias) }, x).flat();
}

describe('conv2d benchmark case', () => {
  it('is the issue\'s shape and counts forward, weight and input gradient products', () => {
    const conv = BENCHMARK_CASES.filter((c) => c.kind === 'conv') as ConvCase[];
    expect(conv.map(({ rows, height, width, channels, filters, kernel }) => [rows, height, width, channels, filters, kernel])).toEqual([[128, 28, 28, 16, 32, 3]]);
    expect(caseFlops(conv[0]!)).toBe(3 * 2 * 128 * 28 * 28 * 9 * 16 * 32);
  });

  it('the plain-JS baseline: output as the float64 reference network, gradients by the adjoint identities', () => {
    const taps = 3 * 3 * 4;
    const b: PlainConvBuffers = {
      x: values(3 * 9 * 7 * 4, 0.1), weight: values(9 * taps, 0.7).map((v) => 0.3 * v), bias: values(9, 2.1), dOut: values(3 * 9 * 7 * 9, 1.3),
      out: new Float32Array(3 * 9 * 7 * 9), dx: new Float32Array(3 * 9 * 7 * 4), dWeight: new Float32Array(9 * taps), dBias: new Float32Array(9),
    };
    plainConvPass(geometry, b);
    const y = reference(b.x, b.weight, b.bias);
    const scale = Math.max(...y.map(Math.abs));
    b.out.forEach((v, i) => expect(Math.abs(v - y[i]!), `out[${i}]`).toBeLessThanOrEqual(1e-6 * scale));
    // the conv is linear in x and in the weight: ⟨dx, v⟩ = ⟨dOut, y(x + v) − y(x)⟩, ⟨dW, u⟩ likewise (exact in float64)
    const v = values(b.x.length, 0.5);
    const u = values(b.weight.length, 0.9);
    const shiftedX = reference(b.x.map((xi, i) => xi + v[i]!), b.weight, b.bias);
    const shiftedW = reference(b.x, b.weight.map((wi, i) => wi + u[i]!), b.bias);
    const viaX = dot(b.dOut, shiftedX.map((yi, i) => yi - y[i]!));
    const viaW = dot(b.dOut, shiftedW.map((yi, i) => yi - y[i]!));
    expect(Math.abs(dot(b.dx, v) - viaX)).toBeLessThanOrEqual(1e-5 * Math.abs(viaX));
    expect(Math.abs(dot(b.dWeight, u) - viaW)).toBeLessThanOrEqual(1e-5 * Math.abs(viaW));
    // the bias gradient: Σ of dOut over rows and positions, per filter
    for (let f = 0; f < 9; f++) {
      let sum = 0;
      for (let i = f; i < b.dOut.length; i += 9) sum += b.dOut[i]!;
      expect(Math.abs(b.dBias[f]! - sum), `dBias[${f}]`).toBeLessThanOrEqual(1e-5 * Math.abs(sum) + 1e-6);
    }
  });

  it.each(BUILDS)('descent agrees with the baseline on a small case (%s build)', async (build) => {
    const { x, y } = caseData(small);
    const k = await loadKernels({ build });
    // convRunners compares descent's output and three gradients with the baseline (1e-4 of the largest) and throws otherwise
    let runners: ReturnType<typeof convRunners> | null = null;
    expect(() => { runners = convRunners(k, small, x, y as Float32Array); }).not.toThrow();
    runners!.free();
  });
});
