// The GEMM micro-kernels (assembly/gemm.ts): C[i0.., j0..] += an MR×K-panel of A · a packed K×NR
// panel of B, for a full or partial block (MR×NR = 3×12 or 4×8). A's element (i, k) sits at
// A + 4·(i·aRow + k·aCol), which covers A and Aᵀ; the panel holds NR floats per k-step
// (assembly/gemm-pack.ts).
//
// Two shapes, because what limits them differs by build:
//   - relaxed: 3×12, 9 accumulators, wherever N suits 12-column panels (widePanels). A fused
//     multiply-add has a 4-cycle latency on the test machine's Zen 4 and two issue each cycle, so 8
//     accumulators (a 4×8 block) leave no slack: alone, with its data in L1, 4×8 ran at 84–89 % of
//     the fused peak and 3×12 at 94 %.
//   - simd and scalar (and relaxed for N = 16, 32, 64, …): 4×8, 8 accumulators. A separate multiply and add puts only the add (3 cycles)
//     on the accumulator's chain, so 8 are plenty (94–99 % of the peak), and the multiply's result
//     needs a register of its own: 3×12 would need 16 and spilled (38 %).
// V8 allocates 15 vector registers and issues a k-step's splat loads before its multiply-adds:
// 4×8 holds 8 accumulators + 2 B vectors + 4 splats, 3×12 holds 9 + 3 + 3. Bigger blocks spill.
// The scalar build runs the 4×8 blocking with f32 arithmetic.

import { madd4 } from './math';

/**
 * Whether a GEMM with N columns uses 3×12 blocks (12-column panels): the relaxed build only, and only
 * where the padding of the last panel does not cost more than the wider block gains — 3×12 ran at
 * 94 % of the peak and 4×8 at 86 %, so 3×12 where 94 / ⌈N⌉₁₂ > 86 / ⌈N⌉₈ (N = 10, 24, 96, 128, 256
 * but not 16, 32 or 64, where 12-column panels would compute 50, 12 or 12 % padding).
 */
export function widePanels(N: i32): bool {
  if (!ASC_FEATURE_RELAXED_SIMD) return false;
  const narrow = (N + 7) / 8 * 8;
  const wide = (N + 11) / 12 * 12;
  return 47 * narrow > 43 * wide;
}

/** The block of C at (i0, j0) += `rows` rows of A (k-steps k0 .. k0+kc) · the packed panel (`cols` columns): 3×12 when `wide`, else 4×8. */
// @ts-ignore: decorator
@inline
export function microKernel(
  wide: bool, A: usize, aRow: i32, aCol: i32, i0: i32, rows: i32, k0: i32, kc: i32,
  panel: usize, C: usize, N: i32, j0: i32, cols: i32,
): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    if (wide) microKernel3x12(A, aRow, aCol, i0, rows, k0, kc, panel, C, N, j0, cols);
    else microKernel4x8(A, aRow, aCol, i0, rows, k0, kc, panel, C, N, j0, cols);
  } else if (ASC_FEATURE_SIMD) {
    microKernel4x8(A, aRow, aCol, i0, rows, k0, kc, panel, C, N, j0, cols);
  } else {
    microKernelScalar(A, aRow, aCol, i0, rows, k0, kc, panel, C, N, j0, cols);
  }
}

// @ts-ignore: decorator
@inline
function microKernel3x12(
  A: usize, aRow: i32, aCol: i32, i0: i32, rows: i32, k0: i32, kc: i32,
  panel: usize, C: usize, N: i32, j0: i32, cols: i32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  // Rows past `rows` read row i0 again (always valid) and are not stored.
  const r1 = rows > 1 ? 1 : 0;
  const r2 = rows > 2 ? 2 : 0;
  let a0 = A + (<usize>(i0 * aRow + k0 * aCol) << 2);
  const a1 = <usize>(r1 * aRow) << 2;
  const a2 = <usize>(r2 * aRow) << 2;
  const aStep = <usize>aCol << 2;
  let b = panel;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    let a = v128.load32_splat(a0);
    c00 = madd4(a, b0, c00);
    c01 = madd4(a, b1, c01);
    c02 = madd4(a, b2, c02);
    a = v128.load32_splat(a0 + a1);
    c10 = madd4(a, b0, c10);
    c11 = madd4(a, b1, c11);
    c12 = madd4(a, b2, c12);
    a = v128.load32_splat(a0 + a2);
    c20 = madd4(a, b0, c20);
    c21 = madd4(a, b1, c21);
    c22 = madd4(a, b2, c22);
    a0 += aStep;
    b += 48;
  }
  if (rows == 3 && cols == 12) {
    const rowBytes = <usize>N << 2;
    let c = C + (<usize>(i0 * N + j0) << 2);
    v128.store(c, f32x4.add(v128.load(c), c00));
    v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
    v128.store(c, f32x4.add(v128.load(c, 32), c02), 32);
    c += rowBytes;
    v128.store(c, f32x4.add(v128.load(c), c10));
    v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
    v128.store(c, f32x4.add(v128.load(c, 32), c12), 32);
    c += rowBytes;
    v128.store(c, f32x4.add(v128.load(c), c20));
    v128.store(c, f32x4.add(v128.load(c, 16), c21), 16);
    v128.store(c, f32x4.add(v128.load(c, 32), c22), 32);
    return;
  }
  // Edge block: spill the accumulators and store element by element.
  const tile = memory.data(3 * 12 * 4, 16);
  v128.store(tile, c00, 0); v128.store(tile, c01, 16); v128.store(tile, c02, 32);
  v128.store(tile, c10, 48); v128.store(tile, c11, 64); v128.store(tile, c12, 80);
  v128.store(tile, c20, 96); v128.store(tile, c21, 112); v128.store(tile, c22, 128);
  storeEdge(tile, 12, C, N, i0, rows, j0, cols);
}

// @ts-ignore: decorator
@inline
function microKernel4x8(
  A: usize, aRow: i32, aCol: i32, i0: i32, rows: i32, k0: i32, kc: i32,
  panel: usize, C: usize, N: i32, j0: i32, cols: i32,
): void {
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
    b += 32;
  }
  if (rows == 4 && cols == 8) {
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
  const tile = memory.data(4 * 8 * 4, 16);
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  storeEdge(tile, 8, C, N, i0, rows, j0, cols);
}

// The scalar build: the same 4×8 blocking with f32 arithmetic.
// @ts-ignore: decorator
@inline
function microKernelScalar(
  A: usize, aRow: i32, aCol: i32, i0: i32, rows: i32, k0: i32, kc: i32,
  panel: usize, C: usize, N: i32, j0: i32, cols: i32,
): void {
  const tile = memory.data(4 * 8 * 4, 16);
  memory.fill(tile, 0, 4 * 8 * 4);
  for (let r = 0; r < rows; r++) {
    let a = A + (<usize>((i0 + r) * aRow + k0 * aCol) << 2);
    const aStep = <usize>aCol << 2;
    const t = tile + (<usize>(r * 8) << 2);
    let b = panel;
    for (let k = 0; k < kc; k++) {
      const av = load<f32>(a);
      for (let j = 0; j < 8; j++) {
        const tj = t + (<usize>j << 2);
        store<f32>(tj, load<f32>(tj) + av * load<f32>(b + (<usize>j << 2)));
      }
      a += aStep;
      b += 8 << 2;
    }
  }
  storeEdge(tile, 8, C, N, i0, rows, j0, cols);
}

// Adds the first `rows` × `cols` of a tile `width` floats wide to C at (i0, j0).
// @ts-ignore: decorator
@inline
function storeEdge(tile: usize, width: i32, C: usize, N: i32, i0: i32, rows: i32, j0: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const c = C + (<usize>((i0 + r) * N + j0) << 2);
    const t = tile + (<usize>(r * width) << 2);
    for (let j = 0; j < cols; j++) {
      const cj = c + (<usize>j << 2);
      const v = load<f32>(t + (<usize>j << 2));
      store<f32>(cj, load<f32>(cj) + v);
    }
  }
}
