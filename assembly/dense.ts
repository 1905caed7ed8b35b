// The parts of a dense layer's step that are not matrix products: the bias gradient and the
// L1/L2 weight penalties (Keras: λ1·Σ|w| + λ2·Σw², added to the loss and its gradient).

/** out[j] (+)= Σ_r x[r, j] over `rows` rows of `cols` (the bias gradient from dZ). */
export function column_sums_f32(x: usize, rows: i32, cols: i32, out: usize, accumulate: bool): void {
  if (!accumulate) memory.fill(out, 0, <usize>cols << 2);
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>cols) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(row + o)));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(row + o));
    }
  }
}

/** g += λ1·sign(w) + 2λ2·w over n weights; returns the penalty λ1·Σ|w| + λ2·Σw² (f64). */
export function weight_penalty_f32(w: usize, g: usize, n: i32, l1: f32, l2: f32): f64 {
  let abs: f64 = 0;
  let sq: f64 = 0;
  const twoL2: f32 = 2 * l2;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(w + o);
    abs += Mathf.abs(v);
    sq += <f64>v * <f64>v;
    const sign: f32 = v > 0 ? 1 : v < 0 ? -1 : 0;
    store<f32>(g + o, load<f32>(g + o) + l1 * sign + twoL2 * v);
  }
  return <f64>l1 * abs + <f64>l2 * sq;
}

/**
 * out = a·y + b·x over n floats (adding data-parallel chunk gradients with their weights); `out`
 * may be `y` or `x`. Separate multiply and add in every build, so the sum does not depend on which
 * operand a caller names first.
 */
export function weighted_sum_f32(out: usize, a: f32, y: usize, b: f32, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(f32x4.mul(va, v128.load(y + o)), f32x4.mul(vb, v128.load(x + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, a * load<f32>(y + o) + b * load<f32>(x + o));
  }
}
