// Dense matrix products over row-major f32 matrices, the three orientations a dense layer needs:
//   gemm_nn_f32  C[M,N] (+)= A[M,K]  · B[K,N]     (backward: dX = dY · W, W stored [out, in])
//   gemm_nt_f32  C[M,N] (+)= A[M,K]  · B[N,K]ᵀ    (forward:  Y = X · Wᵀ)
//   gemm_tn_f32  C[M,N] (+)= A[K,M]ᵀ · B[K,N]     (backward: dW = dYᵀ · X)
// optionally adding a bias row b[N] to every row of C.
//
// One micro-kernel does all three: it computes a 4×8 block of C from a K-panel of B packed as
// [K × 8] (contiguous, so every k-step reads 32 bytes in order; assembly/gemm-pack.ts) and four
// scalars of A per k-step, splatted. A's element (i, k) sits at A + 4·(i·rowStride + k·colStride),
// which covers A and Aᵀ. `scratch` must hold KC·(N rounded up to 8) floats, KC = min(K, K_PANEL).
// Blocking: the K loop is tiled by K_PANEL = 256 and the rows by M_BLOCK = 16, so the A block (16 KB)
// and the current B panel (8 KB) stay in L1 and the packed B (KC·N floats) in L2.
// Registers: V8 issues the four splat loads of a k-step before its eight multiply-adds, so the loop
// holds 8 accumulators + 2 B vectors + 4 splats = 14 of the 15 vector registers V8 allocates; a 6×8
// block spills. The relaxed build fuses each multiply-add (madd4, f32x4.relaxed_madd).
// Measured on the 2-core Zen 4 test machine (bench/results/2026-12-02-relaxed.md): 83–88 % of the fused
// peak in the relaxed build and 90–99 % of the separate multiply–add peak in the SIMD build, so the
// two builds differ by only ~5 % here: Zen 4 adds and multiplies on separate pipes, and the loop is
// bound by its loads and loop overhead as much as by arithmetic. 2× unrolled k loops spill (V8
// hoists the second step's loads), and packing A (3×12 and pre-splatted variants too) was no faster.
// The scalar build runs the same blocking with f32 arithmetic.

import { NR, packColumns, packRows } from './gemm-pack';
import { madd4 } from './math';

// @ts-ignore: decorator
@inline const K_PANEL: i32 = 256;
// @ts-ignore: decorator
@inline const M_BLOCK: i32 = 16;
// @ts-ignore: decorator
@inline const MR: i32 = 4;

/** Floats of scratch the gemm_* kernels need for these sizes. */
export function gemm_scratch_floats(K: i32, N: i32): i32 {
  return min(K, K_PANEL) * ((N + NR - 1) & ~(NR - 1));
}

// C[i0.., j0..] += A-block · packed panel, for a full or partial 4×8 block (rows ≤ 4, cols ≤ 8).
// @ts-ignore: decorator
@inline
function microKernel(
  A: usize, aRow: i32, aCol: i32, i0: i32, rows: i32, k0: i32, kc: i32,
  panel: usize, C: usize, N: i32, j0: i32, cols: i32,
): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    // Rows past `rows` read row i0 again (always valid) and are not stored.
    const r1 = rows > 1 ? 1 : 0;
    const r2 = rows > 2 ? 2 : 0;
    const r3 = rows > 3 ? 3 : 0;
    let a0 = A + (<usize>(i0 * aRow + k0 * aCol) << 2);
    const a1 = <usize>(r1 * aRow) << 2;
    const a2 = <usize>(r2 * aRow) << 2;
    const a3 = <usize>(r3 * aRow) << 2;
    const aStep = <usize>aCol << 2;
    let b = panel;
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(b);
      const b1 = v128.load(b, 16);
      let a = v128.load32_splat(a0);
      c00 = madd4(a, b0, c00);
      c01 = madd4(a, b1, c01);
      a = v128.load32_splat(a0 + a1);
      c10 = madd4(a, b0, c10);
      c11 = madd4(a, b1, c11);
      a = v128.load32_splat(a0 + a2);
      c20 = madd4(a, b0, c20);
      c21 = madd4(a, b1, c21);
      a = v128.load32_splat(a0 + a3);
      c30 = madd4(a, b0, c30);
      c31 = madd4(a, b1, c31);
      a0 += aStep;
      b += NR << 2;
    }
    if (rows == MR && cols == NR) {
      const rowBytes = <usize>N << 2;
      let c = C + (<usize>(i0 * N + j0) << 2);
      v128.store(c, f32x4.add(v128.load(c), c00));
      v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
      c += rowBytes;
      v128.store(c, f32x4.add(v128.load(c), c10));
      v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
      c += rowBytes;
      v128.store(c, f32x4.add(v128.load(c), c20));
      v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
      c += rowBytes;
      v128.store(c, f32x4.add(v128.load(c), c30));
      v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
      return;
    }
    // Edge block: spill the accumulators and store element by element.
    const tile = memory.data(MR * NR * 4, 16);
    v128.store(tile, c00, 0); v128.store(tile, c01, 16);
    v128.store(tile, c10, 32); v128.store(tile, c11, 48);
    v128.store(tile, c20, 64); v128.store(tile, c21, 80);
    v128.store(tile, c30, 96); v128.store(tile, c31, 112);
    storeEdge(tile, C, N, i0, rows, j0, cols);
  } else {
    const tile = memory.data(MR * NR * 4, 16);
    memory.fill(tile, 0, MR * NR * 4);
    for (let r = 0; r < rows; r++) {
      let a = A + (<usize>((i0 + r) * aRow + k0 * aCol) << 2);
      const aStep = <usize>aCol << 2;
      const t = tile + (<usize>(r * NR) << 2);
      let b = panel;
      for (let k = 0; k < kc; k++) {
        const av = load<f32>(a);
        for (let j = 0; j < NR; j++) {
          const tj = t + (<usize>j << 2);
          store<f32>(tj, load<f32>(tj) + av * load<f32>(b + (<usize>j << 2)));
        }
        a += aStep;
        b += NR << 2;
      }
    }
    storeEdge(tile, C, N, i0, rows, j0, cols);
  }
}

// @ts-ignore: decorator
@inline
function storeEdge(tile: usize, C: usize, N: i32, i0: i32, rows: i32, j0: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const c = C + (<usize>((i0 + r) * N + j0) << 2);
    const t = tile + (<usize>(r * NR) << 2);
    for (let j = 0; j < cols; j++) {
      const cj = c + (<usize>j << 2);
      const v = load<f32>(t + (<usize>j << 2));
      store<f32>(cj, load<f32>(cj) + v);
    }
  }
}

// C (+)= op(A)·op(B) with A's element (i, k) at A + 4·(i·aRow + k·aCol) and B's (k, j) at B + 4·(k·bK + j·bJ);
// B is either row-major (bJ = 1) or transposed (bK = 1).
function gemm(
  A: usize, aRow: i32, aCol: i32, B: usize, bK: i32, bJ: i32, C: usize, M: i32, K: i32, N: i32,
  bias: usize, accumulate: bool, scratch: usize,
): void {
  if (!accumulate) {
    // Start C from the bias row, or from zero.
    for (let i = 0; i < M; i++) {
      const c = C + (<usize>(i * N) << 2);
      if (bias) memory.copy(c, bias, <usize>N << 2);
      else memory.fill(c, 0, <usize>N << 2);
    }
  } else if (bias) {
    for (let i = 0; i < M; i++) {
      const c = C + (<usize>(i * N) << 2);
      for (let j = 0; j < N; j++) {
        const cj = c + (<usize>j << 2);
        store<f32>(cj, load<f32>(cj) + load<f32>(bias + (<usize>j << 2)));
      }
    }
  }
  for (let k0 = 0; k0 < K; k0 += K_PANEL) {
    const kc = min(K_PANEL, K - k0);
    if (bJ == 1) packRows(B, bK, k0, kc, N, scratch);
    else packColumns(B, bJ, k0, kc, N, scratch);
    // M_BLOCK rows of A (16 KB at K_PANEL) stay in L1 while every packed panel of B passes them.
    for (let ib = 0; ib < M; ib += M_BLOCK) {
      const iEnd = min(M, ib + M_BLOCK);
      for (let j0 = 0; j0 < N; j0 += NR) {
        const panel = scratch + (<usize>(j0 * kc) << 2);
        const cols = min(NR, N - j0);
        for (let i0 = ib; i0 < iEnd; i0 += MR) {
          microKernel(A, aRow, aCol, i0, min(MR, iEnd - i0), k0, kc, panel, C, N, j0, cols);
        }
      }
    }
  }
}

/** C[M,N] (+)= A[M,K]·B[K,N] (+ bias[N] per row when bias ≠ 0); scratch: gemm_scratch_floats(K, N). */
export function gemm_nn_f32(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, bias: usize, accumulate: bool, scratch: usize): void {
  gemm(A, K, 1, B, N, 1, C, M, K, N, bias, accumulate, scratch);
}

/** C[M,N] (+)= A[M,K]·B[N,K]ᵀ (+ bias[N] per row when bias ≠ 0); scratch: gemm_scratch_floats(K, N). */
export function gemm_nt_f32(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, bias: usize, accumulate: bool, scratch: usize): void {
  gemm(A, K, 1, B, 1, K, C, M, K, N, bias, accumulate, scratch);
}

/** C[M,N] (+)= A[K,M]ᵀ·B[K,N] (+ bias[N] per row when bias ≠ 0); scratch: gemm_scratch_floats(K, N). */
export function gemm_tn_f32(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, bias: usize, accumulate: bool, scratch: usize): void {
  gemm(A, 1, M, B, N, 1, C, M, K, N, bias, accumulate, scratch);
}
