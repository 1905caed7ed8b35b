// descent-wasm/bench: runBenchmarks (the in-thread suite a browser worker runs): row structure,
// descent vs plain-JS agreement on every build (relaxed, simd, scalar), case selection; the roofline kernels, which live in
// build/bench-simd.wasm and in neither production build. Speed is never asserted.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BENCHMARK_CASES, loadRoofline, runBenchmarks, type BenchmarkRow } from '../src/bench/index.js';
import * as main from '../src/index.js';

const CASES = ['mse N=1e4', 'huber N=1e4', 'softmax CE [1024,10]', 'GEMM A·Bᵀ [128,784]·[784,128]'];

describe('runBenchmarks', () => {
  for (const build of ['relaxed', 'simd', 'scalar'] as const) {
    it(`gives a plain-JS and a descent row per case, values agreeing (${build} build)`, async () => {
      const seen: BenchmarkRow[] = [];
      const rows = await runBenchmarks({ build, quick: true, cases: CASES, onResult: (row) => seen.push(row) });
      expect(seen).toEqual(rows);
      expect(rows.map((r) => [r.case, r.impl])).toEqual(CASES.flatMap((c) => [[c, 'plain JS'], [c, `descent ${build}`]]));
      for (const row of rows) {
        for (const key of ['medianMs', 'minMs', 'maxMs', 'ratio'] as const) expect(Number.isFinite(row[key]) && row[key] > 0).toBe(true);
        expect(row.minMs).toBeLessThanOrEqual(row.medianMs);
        expect(row.medianMs).toBeLessThanOrEqual(row.maxMs);
        expect(row.samples).toBeGreaterThanOrEqual(3);
        expect(typeof row.busy).toBe('boolean');
      }
      for (const name of CASES) {
        const [plain, descent] = rows.filter((r) => r.case === name) as [BenchmarkRow, BenchmarkRow];
        expect(plain.ratio).toBe(1);
        if (name.startsWith('GEMM')) {
          expect(descent.gflops).toBeGreaterThan(0);
        } else {
          expect(plain.value).toBeGreaterThan(0);
          expect(Math.abs(descent.value! - plain.value!)).toBeLessThanOrEqual(1e-4 * plain.value!);
        }
      }
    });
  }

  it('times an MLP epoch of descent against the plain-JS MLP from the same weights, losses agreeing', async () => {
    const name = BENCHMARK_CASES.find((c) => c.kind === 'mlp')!.name;
    const rows = await runBenchmarks({ quick: true, cases: [name] });
    expect(rows.map((r) => r.impl)).toEqual(['plain JS', 'descent relaxed']);
    const [plain, descent] = rows as [BenchmarkRow, BenchmarkRow];
    expect(plain.value).toBeGreaterThan(0);
    expect(Math.abs(descent.value! - plain.value!)).toBeLessThanOrEqual(1e-3 * plain.value!);
    expect(descent.ratio).toBeGreaterThan(0);
  });

  it('names every case of the issue once and rejects unknown names', async () => {
    const names = BENCHMARK_CASES.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('softmax CE [64,32000]');
    expect(names).toContain('BCE-with-logits N=1e6');
    await expect(runBenchmarks({ cases: ['mse N=7'] })).rejects.toThrow(RangeError);
    await expect(runBenchmarks({ cases: ['mse N=7'] })).rejects.toThrow(/unknown case "mse N=7"; cases are mse N=1e4/);
    await expect(runBenchmarks({ quick: 'yes' as never })).rejects.toThrow('quick must be a boolean, got "yes"');
    await expect(runBenchmarks({ cases: 'mse N=1e4' as never })).rejects.toThrow('cases must be an array of case names, got "mse N=1e4"');
    await expect(runBenchmarks({ onResult: 5 as never })).rejects.toThrow('onResult must be a function, got 5');
    await expect(runBenchmarks({ bogus: 1 } as never)).rejects.toThrow(/unknown option "bogus" in runBenchmarks options/);
  });
});

describe('the roofline kernels', () => {
  const ROOFLINE = ['stream_read_f32', 'stream_read3_f32', 'peak_muladd_f32', 'peak_madd_f32', 'gemm_microkernel_f32'];
  const exportsOf = async (file: string) => {
    const module = await WebAssembly.compile(await readFile(new URL(`../build/${file}`, import.meta.url)));
    return WebAssembly.Module.exports(module).map((e) => e.name);
  };

  it('are in build/bench-simd.wasm and build/bench-relaxed.wasm and in no production build', async () => {
    for (const build of ['relaxed.wasm', 'simd.wasm', 'scalar.wasm']) {
      const names = await exportsOf(build);
      expect(names, build).toContain('mse_f32');
      for (const kernel of ROOFLINE) expect(names, build).not.toContain(kernel);
    }
    expect(await exportsOf('bench-simd.wasm')).toEqual(expect.arrayContaining(ROOFLINE));
    expect(await exportsOf('bench-relaxed.wasm')).toEqual(expect.arrayContaining(ROOFLINE));
  });

  it('the main entry exports no benchmark code', () => {
    for (const name of ['runBenchmarks', 'BENCHMARK_CASES', 'PlainMlp', 'loadRoofline']) expect(main).not.toHaveProperty(name);
  });

  it('stream reads sum every element at lengths around the unroll widths; the peak loop returns a finite value', async () => {
    const roofline = await loadRoofline();
    for (const n of [0, 1, 7, 8, 9, 31, 32, 33, 1001]) {
      const a = Float32Array.from({ length: n }, (_, i) => i % 7);
      const b = Float32Array.from({ length: n }, (_, i) => (i % 5) / 4);
      const c = Float32Array.from({ length: n }, (_, i) => -(i % 3));
      const sum = (...arrays: Float32Array[]) => arrays.reduce((total, x) => x.reduce((s, v) => s + v, total), 0);
      const one = roofline.streamReader([a]);
      const three = roofline.streamReader([a, b, c]);
      const twice = roofline.streamReader([a, a, c]);
      expect(one.read(), `n = ${n}`).toBe(sum(a));
      expect(three.read(), `n = ${n}`).toBe(sum(a, b, c));
      expect(twice.read(), `n = ${n}`).toBe(sum(a, a, c));
      for (const reader of [one, three, twice]) reader.free();
      expect(() => one.read()).toThrow('StreamReader is freed');
    }
    expect(Number.isFinite(roofline.peakMuladd(1000))).toBe(true);
    expect(roofline.relaxed).toBe(true);
    // the fused and the separate peak loops compute the same chains: equal within rounding
    const plain = await loadRoofline({ relaxed: false });
    expect(plain.relaxed).toBe(false);
    expect(Math.abs(roofline.peakMadd(1000) - plain.peakMadd(1000))).toBeLessThanOrEqual(1e-3 * Math.abs(plain.peakMadd(1000))); // 1000 steps of rounding apart
    expect(plain.peakMadd(1000)).toBe(plain.peakMuladd(1000));
    // the GEMM micro-kernel: 256 products 0.5 · 0.25 into each entry per iteration, exact in f32
    for (const r of [roofline, plain]) {
      expect(r.microKernel(3)).toBe(3 * 256 * 0.125);
      expect(r.microKernel(2)).toBe(5 * 256 * 0.125);
    }
    expect(() => roofline.microKernel(1.5)).toThrow(RangeError);
    await expect(loadRoofline({ relaxed: 'yes' as never })).rejects.toThrow('relaxed must be a boolean or undefined, got yes');
    expect(() => roofline.streamReader([new Float32Array(2), new Float32Array(2)])).toThrow('arrays must be one or three Float32Arrays, got 2 items');
    expect(() => roofline.streamReader([new Float32Array(2), new Float32Array(3), new Float32Array(2)])).toThrow('arrays must have equal lengths, got 2, 3, 2');
    expect(() => roofline.peakMuladd(-1)).toThrow(RangeError);
  });
});
