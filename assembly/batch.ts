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
