// The kernels of graph models: an element-wise sum (the `add` entry, and a gradient added into a
// tensor read by several entries) and a strided copy of row slices (`concat` and its backward).

/** out = a + b over n floats; `out` may be `a` (b added into a: the fan-out gradient sum). */
export function add_f32(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
  }
  // leftovers
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/**
 * Copies `count` slices of `width` floats: slice r from src + r·srcStride to dst + r·dstStride
 * (strides in floats). concat writes each input's rows into its columns of the output; its
 * backward reads them back out of the output's gradient.
 */
export function copy_strided_f32(src: usize, srcStride: i32, dst: usize, dstStride: i32, count: i32, width: i32): void {
  const bytes = <usize>width << 2;
  for (let r = 0; r < count; r++) {
    memory.copy(dst + ((<usize>r * <usize>dstStride) << 2), src + ((<usize>r * <usize>srcStride) << 2), bytes);
  }
}
