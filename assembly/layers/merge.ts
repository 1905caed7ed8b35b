// concat (the merge layer of graph models that joins inputs along the last axis): its forward writes
// each input's rows into its columns of the output, its backward reads them back out of the output's
// gradient; both are one strided copy. (add is add_f32 in vec.ts.)

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
