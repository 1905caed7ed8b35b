// Attention's masked softmax, forward and backward side by side: per row i of a [rows, cols] block of
// scores S (row stride ld; `batch` blocks `batchStride` floats apart: heads, samples),
//   P_ij = softmax_j(scale · S_ij) over j ≤ i (causal) or all j, and P_ij = 0 for the masked j > i;
//   dS_ij = scale · P_ij · (dP_ij − Σ_k dP_ik · P_ik)   (0 where masked).
// `causal` is torch's attn_mask = triu(ones(T, T), 1) on a square block (row i of a T×T block sees
// columns 0..i). The products around it (Q·Kᵀ and P·V) are gemm_strided_f32 calls.

import { hsum_f32x4, rowMax_f32, rowSumExp } from '../math';

// @ts-ignore: decorator
@inline
function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** The columns row `i` attends to. */
// @ts-ignore: decorator
@inline
function seen(i: i32, cols: i32, causal: bool): i32 {
  return causal ? min(i + 1, cols) : cols;
}

/** Per row, in place: S ← softmax(scale · S) over the columns the row sees, 0 elsewhere (scale > 0). */
export function attention_softmax_f32(S: usize, rows: i32, cols: i32, ld: i32, batch: i32, batchStride: i32, scale: f32, causal: bool): void {
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      const row = at(S, b * batchStride + i * ld);
      const n = seen(i, cols, causal);
      for (let j = 0; j < n; j++) store<f32>(at(row, j), scale * load<f32>(at(row, j)));
      const mx = rowMax_f32(row, n);
      const inverse = <f32>(1 / rowSumExp(row, n, mx, row));
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        const s = f32x4.splat(inverse);
        for (; j + 4 <= n; j += 4) v128.store(at(row, j), f32x4.mul(v128.load(at(row, j)), s));
      }
      for (; j < n; j++) store<f32>(at(row, j), load<f32>(at(row, j)) * inverse);
      if (n < cols) memory.fill(at(row, n), 0, <usize>(cols - n) << 2);
    }
  }
}

/** Per row: dS = scale · P ⊙ (dP − Σ dP⊙P), written over dP (same strides as P; 0 where masked). */
export function attention_softmax_backward_f32(P: usize, dP: usize, rows: i32, cols: i32, ld: i32, batch: i32, batchStride: i32, scale: f32, causal: bool): void {
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      const offset = b * batchStride + i * ld;
      const p = at(P, offset);
      const d = at(dP, offset);
      const n = seen(i, cols, causal);
      let dot: f64 = 0;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        let acc = f32x4.splat(0);
        for (; j + 4 <= n; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(p, j)), v128.load(at(d, j))));
        dot = hsum_f32x4(acc);
      }
      for (; j < n; j++) dot += <f64>(load<f32>(at(p, j)) * load<f32>(at(d, j)));
      const sum = <f32>dot;
      j = 0;
      if (ASC_FEATURE_SIMD) {
        const s = f32x4.splat(scale);
        const sum4 = f32x4.splat(sum);
        for (; j + 4 <= n; j += 4) v128.store(at(d, j), f32x4.mul(s, f32x4.mul(v128.load(at(p, j)), f32x4.sub(v128.load(at(d, j)), sum4))));
      }
      for (; j < n; j++) store<f32>(at(d, j), scale * load<f32>(at(p, j)) * (load<f32>(at(d, j)) - sum));
      if (n < cols) memory.fill(at(d, n), 0, <usize>(cols - n) << 2);
    }
  }
}
