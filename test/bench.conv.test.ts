// The conv2d benchmark case (src/bench): its FLOP count, and its runners on a small case on both builds —
// descent's layer kernels and the plain-JS loops agree before anything is timed (the full case takes
// seconds in plain JS, so runBenchmarks itself runs it only in bench/). Speed is never asserted.
import { describe, expect, it } from 'vitest';
import { BENCHMARK_CASES, caseData, caseFlops, type ConvCase } from '../src/bench/index.js';
import { convRunners } from '../src/bench/run.js';
import { loadKernels } from '../src/index.js';
import { BUILDS } from './reference/builds.js';

describe('conv2d benchmark case', () => {
  it('is the issue\'s shape and counts forward, weight and input gradient products', () => {
    const conv = BENCHMARK_CASES.filter((c) => c.kind === 'conv') as ConvCase[];
    expect(conv.map(({ rows, height, width, channels, filters, kernel }) => [rows, height, width, channels, filters, kernel])).toEqual([[128, 28, 28, 16, 32, 3]]);
    expect(caseFlops(conv[0]!)).toBe(3 * 2 * 128 * 28 * 28 * 9 * 16 * 32);
  });

  it.each(BUILDS)('descent and plain JS agree on a small case (%s build)', async (build) => {
    const small: ConvCase = { kind: 'conv', name: 'small conv', rows: 3, height: 9, width: 7, channels: 4, filters: 9, kernel: 3 };
    const { x, y } = caseData(small);
    const k = await loadKernels({ build });
    const runners = convRunners(k, small, x, y as Float32Array); // throws when the results differ
    try {
      runners.descent();
      runners.plain();
    } finally {
      runners.free();
    }
  });
});
