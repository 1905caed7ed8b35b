// runBenchmarks (the in-thread suite a browser worker runs): row structure, descent vs plain-JS
// agreement on both builds, case selection. Speed is never asserted.
import { describe, expect, it } from 'vitest';
import { BENCHMARK_CASES, runBenchmarks, type BenchmarkRow } from '../src/index.js';

const CASES = ['mse N=1e4', 'huber N=1e4', 'softmax CE [1024,10]', 'GEMM A·Bᵀ [128,784]·[784,128]'];

describe('runBenchmarks', () => {
  for (const simd of [true, false]) {
    it(`gives a plain-JS and a descent row per case, values agreeing (${simd ? 'SIMD' : 'scalar'} build)`, async () => {
      const seen: BenchmarkRow[] = [];
      const rows = await runBenchmarks({ simd, quick: true, cases: CASES, onResult: (row) => seen.push(row) });
      expect(seen).toEqual(rows);
      expect(rows.map((r) => [r.case, r.impl])).toEqual(CASES.flatMap((c) => [[c, 'plain JS'], [c, `descent ${simd ? 'simd' : 'scalar'}`]]));
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
    expect(rows.map((r) => r.impl)).toEqual(['plain JS', 'descent simd']);
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
