// Convolution over channels-last rows (conv2d [H, W, C] → [Ho, Wo, F]; conv1d is H = kh = 1) as
// im2col + the blocked GEMM of assembly/gemm.ts, forward and backward side by side.
//
// The weight stays in torch's layout [F, C, kh, kw] in the flat parameters. Each pass rearranges
// it into `wk` [S·C, F] (S = kh·kw, row (ky·kw + kx)·C + c), the order in which a channels-last row
// unrolls into contiguous runs of C floats, so im2col and col2im copy and add whole channel runs.
// Output positions (rows × Ho × Wo, flat) go through in tiles of TILE: a tile's im2col matrix
// col [TILE, S·C] stays in L2 and is the only buffer the size of the unrolled input.
//   forward   out[tile] = col · wk (+ bias)                         gemm_nn
//   backward  dwk += colᵀ · dZ[tile]; dcol = dZ[tile] · wkᵀ → dx    gemm_tn, gemm_nt, col2im
// `scratch` (conv_scratch_floats) holds col, wk, dwk and the GEMM's packing.

import { gemm_nn_f32, gemm_nt_f32, gemm_scratch_floats, gemm_tn_f32 } from '../gemm';

// @ts-ignore: decorator
@inline const TILE: i32 = 256;

// @ts-ignore: decorator
@inline
function roundUp4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Floats of scratch conv2d_forward_f32 and conv2d_backward_f32 need for C channels, F filters, an S-tap kernel. */
export function conv_scratch_floats(C: i32, F: i32, S: i32): i32 {
  const K = S * C;
  const pack = max(gemm_scratch_floats(K, F), max(gemm_scratch_floats(TILE, F), gemm_scratch_floats(F, K)));
  return roundUp4(TILE * K) + 2 * roundUp4(K * F) + pack;
}

// wk[(s·C + c)·F + f] = w[(f·C + c)·S + s], or back (toTorch).
function rearrange(w: usize, wk: usize, C: i32, F: i32, S: i32, toTorch: bool): void {
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const torchRow = w + (<usize>((f * C + c) * S) << 2);
      for (let s = 0; s < S; s++) {
        const t = torchRow + (<usize>s << 2);
        const k = wk + (<usize>((s * C + c) * F + f) << 2);
        if (toTorch) store<f32>(t, load<f32>(k));
        else store<f32>(k, load<f32>(t));
      }
    }
  }
}

// dst[0..n) = src[0..n) (gather), or src[0..n) += dst[0..n) (scatter: col2im adds a column run back).
// @ts-ignore: decorator
@inline
function run(dst: usize, src: usize, n: i32, scatter: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      if (scatter) v128.store(src + o, f32x4.add(v128.load(src + o), v128.load(dst + o)));
      else v128.store(dst + o, v128.load(src + o));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if (scatter) store<f32>(src + o, load<f32>(src + o) + load<f32>(dst + o));
    else store<f32>(dst + o, load<f32>(src + o));
  }
}

// Gather (im2col): col rows for output positions p0 .. p0+count from x, zeros where the window
// reaches into the padding. Scatter (col2im): adds those col rows back into x (padding dropped).
// @ts-ignore: decorator
@inline
function unroll(
  x: usize, H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, p0: i32, count: i32, col: usize, scatter: bool,
): void {
  const rowFloats = kw * C;
  const image = Ho * Wo;
  let n = p0 / image;
  let oy = (p0 - n * image) / Wo;
  let ox = p0 - n * image - oy * Wo;
  let dst = col;
  for (let i = 0; i < count; i++) {
    const base = x + (<usize>(n * H) * <usize>(W * C) << 2);
    const iy0 = oy * sh - pt;
    const ix0 = ox * sw - pl;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky * dh;
      if (<u32>iy >= <u32>H) {
        if (!scatter) memory.fill(dst, 0, <usize>rowFloats << 2);
        dst += <usize>rowFloats << 2;
        continue;
      }
      const line = base + (<usize>(iy * W) * <usize>C << 2);
      if (dw == 1 && ix0 >= 0 && ix0 + kw <= W) {
        // the window's row lies inside the image: one run of kw·C floats
        run(dst, line + (<usize>(ix0 * C) << 2), rowFloats, scatter);
        dst += <usize>rowFloats << 2;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dw;
        if (<u32>ix < <u32>W) run(dst, line + (<usize>(ix * C) << 2), C, scatter);
        else if (!scatter) memory.fill(dst, 0, <usize>C << 2);
        dst += <usize>C << 2;
      }
    }
    if (++ox == Wo) {
      ox = 0;
      if (++oy == Ho) {
        oy = 0;
        n++;
      }
    }
  }
}

// C[0..count, 0..F) = bias per row, or zero: the GEMMs then accumulate onto it (one pass over the
// tile instead of a bulk-memory call per row).
function startTile(C: usize, count: i32, F: i32, bias: usize): void {
  if (!bias) {
    memory.fill(C, 0, <usize>count * <usize>F << 2);
    return;
  }
  for (let r = 0; r < count; r++) run(C + (<usize>r * <usize>F << 2), bias, F, false);
}

/**
 * out [rows, Ho, Wo, F] = conv(x [rows, H, W, C], w [F, C, kh, kw]) (+ bias[F]): stride sh × sw,
 * dilation dh × dw, padding pt rows on top and pl columns on the left (the far sides follow from Ho, Wo).
 */
export function conv2d_forward_f32(
  x: usize, rows: i32, H: i32, W: i32, C: i32, Ho: i32, Wo: i32, F: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, w: usize, bias: usize, out: usize, scratch: usize,
): void {
  const S = kh * kw;
  const K = S * C;
  const col = scratch;
  const wk = col + (<usize>roundUp4(TILE * K) << 2);
  const pack = wk + (<usize>(2 * roundUp4(K * F)) << 2);
  rearrange(w, wk, C, F, S, false);
  const positions = rows * Ho * Wo;
  for (let p0 = 0; p0 < positions; p0 += TILE) {
    const count = min(TILE, positions - p0);
    unroll(x, H, W, C, Ho, Wo, kh, kw, sh, sw, dh, dw, pt, pl, p0, count, col, false);
    const outTile = out + (<usize>p0 * <usize>F << 2);
    startTile(outTile, count, F, bias);
    gemm_nn_f32(col, wk, outTile, count, K, F, 0, true, pack);
  }
}

/**
 * From dZ [rows, Ho, Wo, F] (the gradient w.r.t. the pre-activation): dw [F, C, kh, kw] (skipped when dweight = 0)
 * (overwritten) and, when dx ≠ 0, dx [rows, H, W, C] (overwritten). Geometry as conv2d_forward_f32.
 */
export function conv2d_backward_f32(
  x: usize, rows: i32, H: i32, W: i32, C: i32, Ho: i32, Wo: i32, F: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, w: usize, dz: usize, dweight: usize, dx: usize, scratch: usize,
): void {
  const S = kh * kw;
  const K = S * C;
  const col = scratch;
  const wk = col + (<usize>roundUp4(TILE * K) << 2);
  const dwk = wk + (<usize>roundUp4(K * F) << 2);
  const pack = dwk + (<usize>roundUp4(K * F) << 2);
  if (dx) {
    rearrange(w, wk, C, F, S, false);
    memory.fill(dx, 0, <usize>rows * <usize>(H * W * C) << 2);
  }
  // dweight 0: a frozen layer, only dx is wanted
  if (dweight) memory.fill(dwk, 0, <usize>(K * F) << 2);
  const positions = rows * Ho * Wo;
  for (let p0 = 0; p0 < positions; p0 += TILE) {
    const count = min(TILE, positions - p0);
    const dzTile = dz + (<usize>p0 * <usize>F << 2);
    if (dweight) {
      unroll(x, H, W, C, Ho, Wo, kh, kw, sh, sw, dh, dw, pt, pl, p0, count, col, false);
      gemm_tn_f32(col, dzTile, dwk, K, count, F, 0, true, pack);
    }
    if (dx) {
      // col is done with: it becomes dcol, added back into dx window by window
      startTile(col, count, K, 0);
      gemm_nt_f32(dzTile, wk, col, count, F, K, 0, true, pack);
      unroll(dx, H, W, C, Ho, Wo, kh, kw, sh, sw, dh, dw, pt, pl, p0, count, col, true);
    }
  }
  if (dweight) rearrange(dweight, dwk, C, F, S, true);
}

