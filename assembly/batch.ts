// Batches are gathered inside WASM from the data set already in memory, never re-copied from JS.

/** dst[r, :] = src[idx[r], :] for r < count; rows of `cols` f32. */
export function gather_rows_f32(src: usize, cols: i32, idx: usize, count: i32, dst: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(idx + (<usize>r << 2));
    memory.copy(dst + <usize>r * rowBytes, src + row * rowBytes, rowBytes);
  }
}

/** dst[r] = src[idx[r]] for r < count (32-bit values: class labels). */
export function gather_i32(src: usize, idx: usize, count: i32, dst: usize): void {
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(idx + (<usize>r << 2));
    store<i32>(dst + (<usize>r << 2), load<i32>(src + (row << 2)));
  }
}

/**
 * Standardises rows × cols features in place: x = (x − mean[j]) / std[j], computed in f64 from the
 * f64 statistics and rounded once to f32 (the statistics of `normalize: true`).
 */
export function standardize_f32(x: usize, rows: i32, cols: i32, mean: usize, std: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>cols) << 2);
    for (let j = 0; j < cols; j++) {
      const at = row + (<usize>j << 2);
      const offset = <usize>j << 3;
      store<f32>(at, <f32>((<f64>load<f32>(at) - load<f64>(mean + offset)) / load<f64>(std + offset)));
    }
  }
}
