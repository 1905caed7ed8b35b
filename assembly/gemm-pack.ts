// Packing B for the GEMM micro-kernel (assembly/gemm.ts): rows k0 .. k0+kc of B become
// [N/nr panels][kc][nr] floats (nr = 12 for 3×12 blocks, 8 for 4×8; gemm-kernels.ts), the last
// panel's missing columns zero, so every k-step of the micro-kernel reads nr contiguous floats.
// The two layouts the three orientations produce each get their own loop without per-element index
// arithmetic: packing with a generic loop (one multiply and one branch per panel row, one scalar
// load per float for Bᵀ) cost 5–30 % of a GEMM on the shapes of bench/relaxed.mjs.

/** B stored [K, N] (element (k, j) at B + 4·(k·kStride + j)): each panel row is one nr-float copy. */
export function packRows(B: usize, kStride: i32, k0: i32, kc: i32, N: i32, nr: i32, packed: usize): void {
  const rowBytes = <usize>kStride << 2;
  const NFull = N - N % nr; // the full panels' columns
  for (let j0 = 0; j0 < NFull; j0 += nr) {
    let dst = packed + (<usize>(j0 * kc) << 2);
    let src = B + (<usize>(k0 * kStride + j0) << 2);
    for (let k = 0; k < kc; k++) {
      if (ASC_FEATURE_SIMD) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        if (nr == 12) v128.store(dst, v128.load(src, 32), 32);
      } else {
        memory.copy(dst, src, nr << 2);
      }
      src += rowBytes;
      dst += nr << 2;
    }
  }
  if (NFull < N) {
    let dst = packed + (<usize>(NFull * kc) << 2);
    let src = B + (<usize>(k0 * kStride + NFull) << 2);
    for (let k = 0; k < kc; k++) {
      packEdgeRow(src, 1, N - NFull, dst, nr);
      src += rowBytes;
      dst += nr << 2;
    }
  }
}

/**
 * Bᵀ stored [N, K] (element (k, j) at B + 4·(j·jStride + k)): 4×4 blocks are loaded along k and
 * transposed in registers (unpack-low/high, then move-low/high), so the copy reads whole vectors.
 */
export function packColumns(B: usize, jStride: i32, k0: i32, kc: i32, N: i32, nr: i32, packed: usize): void {
  const kc4 = ASC_FEATURE_SIMD ? kc & ~3 : 0;
  const rowBytes = <usize>jStride << 2;
  const panelRow = <usize>nr << 2;
  for (let j0 = 0; j0 < N; j0 += nr) {
    const panel = packed + (<usize>(j0 * kc) << 2);
    const width = min(nr, N - j0);
    if (ASC_FEATURE_SIMD && width == nr) {
      for (let h = 0; h < nr; h += 4) {
        let src = B + (<usize>((j0 + h) * jStride + k0) << 2);
        let dst = panel + (<usize>h << 2);
        for (let k = 0; k < kc4; k += 4) {
          const r0 = v128.load(src);
          const r1 = v128.load(src + rowBytes);
          const r2 = v128.load(src + 2 * rowBytes);
          const r3 = v128.load(src + 3 * rowBytes);
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(dst + panelRow, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
          v128.store(dst + 2 * panelRow, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
          v128.store(dst + 3 * panelRow, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
          src += 16;
          dst += 4 * panelRow;
        }
      }
    }
    // The k-tail of full panels, and every k of the last, narrower panel.
    for (let k = width == nr ? kc4 : 0; k < kc; k++) {
      packEdgeRow(B + (<usize>(j0 * jStride + k0 + k) << 2), jStride, width, panel + (<usize>(k * nr) << 2), nr);
    }
  }
}

// One panel row from `width` floats `stride` floats apart, zero-padded to nr.
// @ts-ignore: decorator
@inline
function packEdgeRow(src: usize, stride: i32, width: i32, dst: usize, nr: i32): void {
  let j = 0;
  for (; j < width; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>(j * stride) << 2)));
  for (; j < nr; j++) store<f32>(dst + (<usize>j << 2), 0);
}
