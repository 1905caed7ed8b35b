// GEMM kernels (raw exports) against a float64 triple loop, on every build (relaxed, simd, scalar), at sizes around the
// 4×8 register block and the 256-deep K panel.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../src/index.js';
import { BUILDS } from './reference/builds.js';

type Kind = 'nn' | 'nt' | 'tn';

/** C = op(A)·op(B) (+ bias) (+ C0) in float64; A is [M,K] ('tn': [K,M]), B is [K,N] ('nt': [N,K]). */
function referenceGemm(
  kind: Kind, A: ArrayLike<number>, B: ArrayLike<number>, M: number, K: number, N: number,
  bias: ArrayLike<number> | null, C0: ArrayLike<number> | null,
): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = (C0 ? C0[i * N + j]! : 0) + (bias ? bias[j]! : 0);
      for (let q = 0; q < K; q++) {
        const a = kind === 'tn' ? A[q * M + i]! : A[i * K + q]!;
        const b = kind === 'nt' ? B[j * K + q]! : B[q * N + j]!;
        s += a * b;
      }
      C[i * N + j] = s;
    }
  }
  return C;
}

// Edges of the blocking: K panels of 256 with k-tails of 1–3 (the transposed packing goes 4 k at a
// time), row blocks of 12–16 in groups of 3 or 4, panels of 12 or 8 columns (relaxed or not).
const SIZES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [4, 8, 8], [5, 17, 9], [4, 256, 8], [7, 257, 15], [17, 513, 33], [2, 0, 3],
  [16, 256, 16], [33, 258, 40], [19, 259, 8], [32, 3, 17], [12, 256, 24], [3, 1, 12],
];

describe.each(BUILDS)('gemm (%s build)', (build) => {
  it.each(['nn', 'nt', 'tn'] as Kind[])('%s matches the float64 reference', async (kind) => {
    const k = await loadKernels({ build });
    const gemm = { nn: k.raw.gemm_nn_f32, nt: k.raw.gemm_nt_f32, tn: k.raw.gemm_tn_f32 }[kind];
    for (const [M, K, N] of SIZES) {
      for (const accumulate of [false, true]) {
        for (const withBias of [false, true]) {
          const A = k.alloc(M * K), B = k.alloc(K * N), C = k.alloc(M * N), bias = k.alloc(N);
          const scratch = k.alloc(Math.max(1, k.raw.gemm_scratch_floats(K, N)));
          (A.array as Float32Array).forEach((_, i, a) => { a[i] = Math.sin(i * 1.3); });
          (B.array as Float32Array).forEach((_, i, a) => { a[i] = Math.cos(i * 0.7); });
          (bias.array as Float32Array).forEach((_, i, a) => { a[i] = 0.1 * i - 0.3; });
          (C.array as Float32Array).forEach((_, i, a) => { a[i] = (i % 5) - 2; });
          const C0 = Float64Array.from(C.array);
          gemm(A.ptr, B.ptr, C.ptr, M, K, N, withBias ? bias.ptr : 0, accumulate, scratch.ptr);
          const expected = referenceGemm(kind, A.array, B.array, M, K, N, withBias ? bias.array : null, accumulate ? C0 : null);
          // float32 products summed over K terms of magnitude ≤ 1: error grows like √K · 2^-24 per term.
          const atol = 1e-6 * Math.max(1, K);
          const got = C.array;
          for (let i = 0; i < M * N; i++) {
            if (Math.abs(got[i]! - expected[i]!) > atol + 1e-6 * Math.abs(expected[i]!)) {
              expect.fail(`${kind} [${M},${K},${N}] acc=${accumulate} bias=${withBias}: C[${i}] = ${got[i]}, expected ${expected[i]}`);
            }
          }
          for (const array of [A, B, C, bias, scratch]) array.free();
        }
      }
    }
  });
});
