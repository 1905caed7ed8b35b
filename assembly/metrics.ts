// Counting metrics over a batch's outputs, so accuracy needs no extra pass in JavaScript.

// @ts-ignore: decorator
@inline
function argmaxRow(x: usize, cols: i32): i32 {
  let best = 0;
  let value = load<f32>(x);
  for (let j = 1; j < cols; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v > value) {
      value = v;
      best = j;
    }
  }
  return best;
}

/** Rows whose argmax equals the class index label (rows labelled `ignoreIndex` are skipped). */
export function count_argmax_matches_i32(out: usize, labels: usize, rows: i32, cols: i32, ignoreIndex: i32): i32 {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const label = load<i32>(labels + (<usize>r << 2));
    if (label != ignoreIndex && argmaxRow(out + ((<usize>r * <usize>cols) << 2), cols) == label) count++;
  }
  return count;
}

/** Rows whose argmax equals the argmax of the target row (one-hot or soft targets). */
export function count_argmax_matches_f32(out: usize, targets: usize, rows: i32, cols: i32): i32 {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    if (argmaxRow(out + off, cols) == argmaxRow(targets + off, cols)) count++;
  }
  return count;
}

/** Elements where (out > outThreshold) equals (target > targetThreshold): binary accuracy. */
export function count_binary_matches_f32(out: usize, targets: usize, n: i32, outThreshold: f32, targetThreshold: f32): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if ((load<f32>(out + o) > outThreshold) == (load<f32>(targets + o) > targetThreshold)) count++;
  }
  return count;
}

/** Σ |out − target| over n elements (mean absolute error × n), in f64. */
export function sum_abs_diff_f32(out: usize, targets: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    total += Mathf.abs(load<f32>(out + o) - load<f32>(targets + o));
  }
  return total;
}
