// Dense matrix products over row-major f32 matrices, the three orientations a dense layer needs:
//   gemm_nn_f32  C[M,N] (+)= A[M,K]  · B[K,N]     (backward: dX = dY · W, W stored [out, in])
//   gemm_nt_f32  C[M,N] (+)= A[M,K]  · B[N,K]ᵀ    (forward:  Y = X · Wᵀ)
//   gemm_tn_f32  C[M,N] (+)= A[K,M]ᵀ · B[K,N]     (backward: dW = dYᵀ · X)
// optionally adding a bias row b[N] to every row of C; and gemm_strided_f32, the same product over a
// batch of operands at any strides (leading dimensions of A, B and C, and a stride per batch item):
// time steps, attention heads and row slices of packed tensors use it without per-step copies.
//
// One micro-kernel does all three (assembly/gemm-kernels.ts: 3×12 blocks in the relaxed build where
// N suits 12-column panels, 4×8 otherwise): it computes an MR×NR block of C from a K-panel of B packed as [K × NR]
// (contiguous, so every k-step reads NR floats in order; assembly/gemm-pack.ts) and MR scalars of A
// per k-step, splatted. A's element (i, k) sits at A + 4·(i·rowStride + k·colStride), which covers
// A and Aᵀ. `scratch` must hold KC·(N rounded up to NR) floats, KC = min(K, K_PANEL).
// Blocking: the K loop is tiled by K_PANEL = 256 and the rows by 4·MR, so the A block
// (12–16 KB) and the current B panel (8–12 KB) stay in L1 and the packed B (KC·N floats) in L2.
// Measured on the 2-core Zen 4 test machine (bench/results/2026-12-02-relaxed.md, which also lists
// what was tried and was slower): the micro-kernel alone runs at 94–95 % (relaxed) and 98–100 %
// (simd) of the multiply–add peak, whole GEMMs at 80–87 % and 75–82 % (edge blocks, per-block setup
// and C updates, packing).

import { microKernel, widePanels } from './gemm-kernels';
import { packColumns, packRows } from './gemm-pack';

// @ts-ignore: decorator
@inline const K_PANEL: i32 = 256;
// Row blocks of A, kept in L1 while the packed panels of B pass them: 4 micro-kernel blocks of rows,
// 16 KB (4×8 blocks) or 12 KB (3×12).
// @ts-ignore: decorator
@inline const ROW_GROUPS: i32 = 4;

/** Floats of scratch the gemm_* kernels need for these sizes. */
export function gemm_scratch_floats(K: i32, N: i32): i32 {
  const nr = widePanels(N) ? 12 : 8;
  return min(K, K_PANEL) * ((N + nr - 1) / nr) * nr;
}

/** C's rows start from the bias row or zero (accumulate false), or get the bias added (accumulate true). */
function startC(C: usize, ldc: i32, M: i32, N: i32, bias: usize, accumulate: bool): void {
  if (!accumulate) {
    for (let i = 0; i < M; i++) {
      const c = C + (<usize>(i * ldc) << 2);
      if (bias) memory.copy(c, bias, <usize>N << 2);
      else memory.fill(c, 0, <usize>N << 2);
    }
  } else if (bias) {
    for (let i = 0; i < M; i++) {
      const c = C + (<usize>(i * ldc) << 2);
      for (let j = 0; j < N; j++) {
        const cj = c + (<usize>j << 2);
        store<f32>(cj, load<f32>(cj) + load<f32>(bias + (<usize>j << 2)));
      }
    }
  }
}

/** Adds op(A)[:, k0:k0+kc]·(the K panel packed at `packed`) into C, row block by row block. */
function panelProduct(A: usize, aRow: i32, aCol: i32, k0: i32, kc: i32, packed: usize, C: usize, ldc: i32, M: i32, N: i32, wide: bool): void {
  const mr = wide ? 3 : 4;
  const nr = wide ? 12 : 8;
  const rowBlock = mr * ROW_GROUPS;
  for (let ib = 0; ib < M; ib += rowBlock) {
    const iEnd = min(M, ib + rowBlock);
    for (let j0 = 0; j0 < N; j0 += nr) {
      const panel = packed + (<usize>(j0 * kc) << 2);
      const cols = min(nr, N - j0);
      for (let i0 = ib; i0 < iEnd; i0 += mr) {
        microKernel(wide, A, aRow, aCol, i0, min(mr, iEnd - i0), k0, kc, panel, C, ldc, j0, cols);
      }
    }
  }
}

/** Packs rows k0..k0+kc of B ((k, j) at B + 4·(k·bK + j·bJ), bJ = 1 or bK = 1) as the micro-kernels read them. */
function packPanel(B: usize, bK: i32, bJ: i32, k0: i32, kc: i32, N: i32, nr: i32, packed: usize): void {
  if (bJ == 1) packRows(B, bK, k0, kc, N, nr, packed);
  else packColumns(B, bJ, k0, kc, N, nr, packed);
}

// C (+)= op(A)·op(B) with A's element (i, k) at A + 4·(i·aRow + k·aCol), B's (k, j) at B + 4·(k·bK + j·bJ)
// and C's (i, j) at C + 4·(i·ldc + j); B is either row-major (bJ = 1) or transposed (bK = 1).
function gemm(
  A: usize, aRow: i32, aCol: i32, B: usize, bK: i32, bJ: i32, C: usize, ldc: i32, M: i32, K: i32, N: i32,
  bias: usize, accumulate: bool, scratch: usize,
): void {
  startC(C, ldc, M, N, bias, accumulate);
  const wide = widePanels(N);
  const nr = wide ? 12 : 8;
  for (let k0 = 0; k0 < K; k0 += K_PANEL) {
    const kc = min(K_PANEL, K - k0);
    packPanel(B, bK, bJ, k0, kc, N, nr, scratch);
    panelProduct(A, aRow, aCol, k0, kc, scratch, C, ldc, M, N, wide);
  }
}

/** Floats a whole packed B of K × N takes (gemm_pack_b_f32): every K panel, one after another. */
export function gemm_packed_floats(K: i32, N: i32): i32 {
  const nr = widePanels(N) ? 12 : 8;
  return K * ((N + nr - 1) / nr) * nr;
}

/**
 * Packs all of B ((k, j) at B + 4·(k·bK + j·bJ), bJ = 1 or bK = 1) into `packed`
 * (gemm_packed_floats(K, N)) for gemm_packed_f32: a recurrent layer packs W_hh once per pass instead
 * of once per time step.
 */
export function gemm_pack_b_f32(B: usize, bK: i32, bJ: i32, K: i32, N: i32, packed: usize): void {
  const nr = widePanels(N) ? 12 : 8;
  const width = (N + nr - 1) / nr * nr;
  for (let k0 = 0; k0 < K; k0 += K_PANEL) packPanel(B, bK, bJ, k0, min(K_PANEL, K - k0), N, nr, packed + (<usize>(k0 * width) << 2));
}

/** C[M,N] (+)= op(A)·B (+ bias) as gemm_strided_f32 with one batch item, B packed by gemm_pack_b_f32 with the same K and N. */
export function gemm_packed_f32(A: usize, aRow: i32, aCol: i32, packed: usize, C: usize, ldc: i32, M: i32, K: i32, N: i32, bias: usize, accumulate: bool): void {
  startC(C, ldc, M, N, bias, accumulate);
  const wide = widePanels(N);
  const width = (N + (wide ? 12 : 8) - 1) / (wide ? 12 : 8) * (wide ? 12 : 8);
  for (let k0 = 0; k0 < K; k0 += K_PANEL) {
    panelProduct(A, aRow, aCol, k0, min(K_PANEL, K - k0), packed + (<usize>(k0 * width) << 2), C, ldc, M, N, wide);
  }
}

/** C[M,N] (+)= A[M,K]·B[K,N] (+ bias[N] per row when bias ≠ 0); scratch: gemm_scratch_floats(K, N). */
export function gemm_nn_f32(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, bias: usize, accumulate: bool, scratch: usize): void {
  gemm(A, K, 1, B, N, 1, C, N, M, K, N, bias, accumulate, scratch);
}

/** C[M,N] (+)= A[M,K]·B[N,K]ᵀ (+ bias[N] per row when bias ≠ 0); scratch: gemm_scratch_floats(K, N). */
export function gemm_nt_f32(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, bias: usize, accumulate: bool, scratch: usize): void {
  gemm(A, K, 1, B, 1, K, C, N, M, K, N, bias, accumulate, scratch);
}

/** C[M,N] (+)= A[K,M]ᵀ·B[K,N] (+ bias[N] per row when bias ≠ 0); scratch: gemm_scratch_floats(K, N). */
export function gemm_tn_f32(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, bias: usize, accumulate: bool, scratch: usize): void {
  gemm(A, 1, M, B, N, 1, C, N, M, K, N, bias, accumulate, scratch);
}

/**
 * For b in [0, batch): C_b[M,N] (+)= op(A_b)·op(B_b) (+ bias[N] per row when bias ≠ 0), strides in
 * floats: A_b's element (i, k) at A + 4·(b·aBatch + i·aRow + k·aCol), B_b's (k, j) at
 * B + 4·(b·bBatch + k·bK + j·bJ) with bJ = 1 (row-major B) or bK = 1 (Bᵀ), C_b's (i, j) at
 * C + 4·(b·cBatch + i·ldc + j). The micro-kernels and packing are gemm_nn/nt/tn's; scratch:
 * gemm_scratch_floats(K, N). A C_b that overlaps an A_b or B_b is not allowed.
 */
export function gemm_strided_f32(
  A: usize, aRow: i32, aCol: i32, aBatch: i32,
  B: usize, bK: i32, bJ: i32, bBatch: i32,
  C: usize, ldc: i32, cBatch: i32,
  batch: i32, M: i32, K: i32, N: i32, bias: usize, accumulate: bool, scratch: usize,
): void {
  for (let b = 0; b < batch; b++) {
    gemm(
      A + (<usize>(b * aBatch) << 2), aRow, aCol, B + (<usize>(b * bBatch) << 2), bK, bJ,
      C + (<usize>(b * cBatch) << 2), ldc, M, K, N, bias, accumulate, scratch,
    );
  }
}

/**
 * The micro-kernel alone, `reps` times over the same rows of A ([rows, 256] floats) and packed B
 * panel ([256, columns]), both in L1, adding into one rows×columns block C: the ceiling of gemm_*
 * on this engine (exported by the bench modules only, assembly/bench). The block is the one wide
 * GEMMs use: 3×12 in the relaxed build, 4×8 otherwise.
 */
export function gemm_microkernel_f32(A: usize, panel: usize, C: usize, reps: i32): void {
  const wide = ASC_FEATURE_RELAXED_SIMD;
  const rows = gemm_microkernel_rows();
  const columns = gemm_microkernel_columns();
  for (let r = 0; r < reps; r++) microKernel(wide, A, K_PANEL, 1, 0, rows, 0, K_PANEL, panel, C, columns, 0, columns);
}

/** Flops of one gemm_microkernel_f32 rep: 2 per multiply-add of its block over K_PANEL steps. */
export function gemm_microkernel_flops(): i32 {
  return 2 * gemm_microkernel_rows() * gemm_microkernel_columns() * K_PANEL;
}

/** The micro-kernel's block, rows and columns (3×12 in the relaxed build, 4×8 otherwise), for the bench modules. */
export function gemm_microkernel_rows(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 3 : 4;
}
export function gemm_microkernel_columns(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 12 : 8;
}
