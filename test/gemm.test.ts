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

/** One strided product, as gemm_strided_f32 reads its operands (strides in floats), in float64. */
interface Strided {
  aRow: number; aCol: number; aBatch: number;
  bK: number; bJ: number; bBatch: number;
  ldc: number; cBatch: number;
  batch: number; M: number; K: number; N: number;
}

/** The span of floats an operand covers: the largest index it reads, plus one. */
const span = (batch: number, batchStride: number, rows: number, rowStride: number, cols: number, colStride: number) =>
  (batch - 1) * batchStride + (rows - 1) * rowStride + (cols - 1) * colStride + 1;

// The shapes the sequence layers need: attention's Q·Kᵀ and P·V per head as row slices of a packed
// [T, 3C] buffer (row strides 3C, batch stride over heads), a C with a leading dimension larger than
// N (writing into a slice of wider rows), shared B (batch stride 0: one weight for every time step),
// Aᵀ by strides, and the blocking's edges (K panels of 256, 12- and 8-column panels).
const STRIDED: Strided[] = [
  { aRow: 3 * 16, aCol: 1, aBatch: 4, bK: 1, bJ: 3 * 16, bBatch: 4, ldc: 9, cBatch: 9 * 9, batch: 4, M: 9, K: 4, N: 9 },
  { aRow: 9, aCol: 1, aBatch: 81, bK: 3 * 16, bJ: 1, bBatch: 4, ldc: 16, cBatch: 4, batch: 4, M: 9, K: 9, N: 4 },
  { aRow: 40, aCol: 1, aBatch: 40 * 7, bK: 24, bJ: 1, bBatch: 0, ldc: 50, cBatch: 50 * 7, batch: 3, M: 7, K: 33, N: 24 },
  { aRow: 1, aCol: 20, aBatch: 5, bK: 17, bJ: 1, bBatch: 17 * 300, ldc: 17, cBatch: 17 * 5, batch: 2, M: 5, K: 300, N: 17 },
  { aRow: 300, aCol: 1, aBatch: 0, bK: 1, bJ: 300, bBatch: 300 * 13, ldc: 13, cBatch: 13 * 6, batch: 2, M: 6, K: 259, N: 13 },
  { aRow: 5, aCol: 1, aBatch: 5, bK: 8, bJ: 1, bBatch: 0, ldc: 8, cBatch: 8, batch: 0, M: 1, K: 5, N: 8 },
];

describe.each(BUILDS)('gemm_strided_f32 (%s build)', (build) => {
  it('matches the float64 reference at the strides attention heads, time steps and row slices use', async () => {
    const k = await loadKernels({ build });
    for (const s of STRIDED) {
      for (const accumulate of [false, true]) {
        for (const withBias of [false, true]) {
          const items = Math.max(1, s.batch);
          const A = k.alloc(span(items, s.aBatch, s.M, s.aRow, s.K, s.aCol));
          const B = k.alloc(span(items, s.bBatch, s.K, s.bK, s.N, s.bJ));
          const C = k.alloc(span(items, s.cBatch, s.M, s.ldc, s.N, 1));
          const bias = k.alloc(s.N);
          const scratch = k.alloc(Math.max(1, k.raw.gemm_scratch_floats(s.K, s.N)));
          (A.array as Float32Array).forEach((_, i, a) => { a[i] = Math.sin(i * 1.3); });
          (B.array as Float32Array).forEach((_, i, a) => { a[i] = Math.cos(i * 0.7); });
          (bias.array as Float32Array).forEach((_, i, a) => { a[i] = 0.1 * i - 0.3; });
          (C.array as Float32Array).forEach((_, i, a) => { a[i] = (i % 5) - 2; });
          const expected = Float64Array.from(C.array);
          const written = new Uint8Array(C.length);
          for (let b = 0; b < s.batch; b++) {
            for (let i = 0; i < s.M; i++) {
              for (let j = 0; j < s.N; j++) {
                const at = b * s.cBatch + i * s.ldc + j;
                let sum = (accumulate ? expected[at]! : 0) + (withBias ? bias.array[j]! : 0);
                for (let q = 0; q < s.K; q++) sum += A.array[b * s.aBatch + i * s.aRow + q * s.aCol]! * B.array[b * s.bBatch + q * s.bK + j * s.bJ]!;
                expected[at] = sum;
                written[at] = 1;
              }
            }
          }
          k.raw.gemm_strided_f32(A.ptr, s.aRow, s.aCol, s.aBatch, B.ptr, s.bK, s.bJ, s.bBatch, C.ptr, s.ldc, s.cBatch,
            s.batch, s.M, s.K, s.N, withBias ? bias.ptr : 0, accumulate, scratch.ptr);
          const atol = 1e-6 * Math.max(1, s.K);
          for (let i = 0; i < C.length; i++) {
            // elements between the rows of C (ldc > N) and between batch items stay as they were
            const want = written[i] ? expected[i]! : (i % 5) - 2;
            if (Math.abs(C.array[i]! - want) > atol + 1e-6 * Math.abs(want)) {
              expect.fail(`${JSON.stringify(s)} acc=${accumulate} bias=${withBias}: C[${i}] = ${C.array[i]}, expected ${want}`);
            }
          }
          for (const array of [A, B, C, bias, scratch]) array.free();
        }
      }
    }
  });
});

describe.each(BUILDS)('gemm_pack_b_f32 + gemm_packed_f32 (%s build)', (build) => {
  // B packed once and reused (a recurrent layer's W_hh over every step): the same micro-kernels on the
  // same packed panels as gemm_strided_f32, so the results are bit-identical to it, and it matches float64
  it('gives gemm_strided_f32\'s results bit for bit, for B and Bᵀ, over one and several K panels', async () => {
    const k = await loadKernels({ build });
    const cases = [
      { M: 3, K: 5, N: 7 }, { M: 64, K: 128, N: 512 }, { M: 5, K: 600, N: 37 }, { M: 17, K: 513, N: 128 }, { M: 1, K: 256, N: 12 },
    ];
    for (const { M, K, N } of cases) {
      for (const transposed of [false, true]) {
        for (const [accumulate, withBias] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const [bK, bJ] = transposed ? [1, K] : [N, 1];
          const ldc = N + 3;
          const A = k.alloc(M * K);
          const B = k.alloc(K * N);
          const bias = k.alloc(N);
          const C1 = k.alloc(M * ldc);
          const C2 = k.alloc(M * ldc);
          const scratch = k.alloc(k.raw.gemm_scratch_floats(K, N));
          const packed = k.alloc(k.raw.gemm_packed_floats(K, N));
          (A.array as Float32Array).forEach((_, i, a) => { a[i] = Math.sin(i * 0.37); });
          (B.array as Float32Array).forEach((_, i, a) => { a[i] = Math.cos(i * 0.91); });
          (bias.array as Float32Array).forEach((_, i, a) => { a[i] = 0.05 * i - 0.2; });
          (C1.array as Float32Array).forEach((_, i, a) => { a[i] = (i % 7) - 3; });
          C2.array.set(C1.array);
          k.raw.gemm_strided_f32(A.ptr, K, 1, 0, B.ptr, bK, bJ, 0, C1.ptr, ldc, 0, 1, M, K, N, withBias ? bias.ptr : 0, accumulate, scratch.ptr);
          k.raw.gemm_pack_b_f32(B.ptr, bK, bJ, K, N, packed.ptr);
          k.raw.gemm_packed_f32(A.ptr, K, 1, packed.ptr, C2.ptr, ldc, M, K, N, withBias ? bias.ptr : 0, accumulate);
          expect(Array.from(C2.array), `${M}×${K}×${N} transposed=${transposed} acc=${accumulate} bias=${withBias}`).toEqual(Array.from(C1.array));
          // and float64, at one row
          const i = M - 1;
          for (let j = 0; j < N; j++) {
            let sum = (accumulate ? (i * ldc + j) % 7 - 3 : 0) + (withBias ? bias.array[j]! : 0);
            for (let q = 0; q < K; q++) sum += A.array[i * K + q]! * B.array[q * bK + j * bJ]!;
            expect(Math.abs(C2.array[i * ldc + j]! - sum)).toBeLessThan(1e-5 * K);
          }
          for (const array of [A, B, bias, C1, C2, scratch, packed]) array.free();
        }
      }
    }
  });
});
