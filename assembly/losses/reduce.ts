// The loop every elementwise loss shares: an f32x4 body over the largest multiple of 4, its items summed
// in f32x4 blocks of BLOCK elements added up in f64, then one scalar tail (the scalar build runs the
// tail from 0). A loss is a class K of @inline methods:
//   vectors(a, b, c, which)  its loop-invariant f32x4 values 0, 1 and 2 (made once, before the loop)
//   lanes4(x, y, o, grad, items, v0, v1, v2, w, pw)  four elements x, y at byte offset o
//   lane1(x, y, o, grad, items, a, b, c, w, pw)      one element
// where a, b, c are the loss's own scalars (the gradient scale, δ, …) and w, pw point at the element's
// weights (per-element weights come as (pointer, step): step 1 walks n values, step 0 reads the same
// four splatted values every time; losses without weights pass 0, 0 and the pointers fold away).
// lanes4 and lane1 write the gradient and the items at offset o when those pointers are not 0, and
// return the items to sum. K is never
// instantiated: changetype<K>(0) only names the methods, which inline into this loop, so the .wat is
// that of a hand-written loop (no call, no load of `this`).

import { BLOCK, hsum_f32x4 } from '../math';

/** Σ item over n elements of x and y (see above), in f64. */
// @ts-ignore: decorator
@inline
export function sumItems<K>(
  x: usize, y: usize, n: i32, grad: usize, items: usize, a: f32, b: f32, c: f32, w: usize = 0, wStep: i32 = 0, pw: usize = 0, pwStep: i32 = 0,
): f64 {
  const k = changetype<K>(0);
  let total: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const v0 = k.vectors(a, b, c, 0);
    const v1 = k.vectors(a, b, c, 1);
    const v2 = k.vectors(a, b, c, 2);
    const nv = n & ~3;
    while (i < nv) {
      const end = min(i + BLOCK, nv);
      let acc = f32x4.splat(0);
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        acc = f32x4.add(acc, k.lanes4(v128.load(x + o), v128.load(y + o), o, grad, items, v0, v1, v2, w + o * wStep, pw + o * pwStep));
      }
      total += hsum_f32x4(acc);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    total += k.lane1(load<f32>(x + o), load<f32>(y + o), o, grad, items, a, b, c, w + o * wStep, pw + o * pwStep);
  }
  return total;
}
