// Embedding (torch.nn.Embedding): a lookup of rows of a [vocab, units] table by Int32 token id,
// forward and backward side by side. The ids were checked in TS (in [0, vocab)) before any kernel runs.

/** out[p, :] = weight[ids[p], :] for the `count` ids at `ids` (rows × positions); rows of `units` f32. */
export function embedding_forward_f32(ids: usize, count: i32, weight: usize, units: i32, out: usize): void {
  const rowBytes = <usize>units << 2;
  for (let p = 0; p < count; p++) {
    const id = <usize>load<i32>(ids + (<usize>p << 2));
    memory.copy(out + <usize>p * rowBytes, weight + id * rowBytes, rowBytes);
  }
}

/**
 * grad = 0, then grad[ids[p], :] += dOut[p, :] for every p whose id is not `paddingIdx` (−1: none),
 * so the padding row gets no gradient (torch); grad is [vocab, units].
 */
export function embedding_backward_f32(ids: usize, count: i32, dOut: usize, units: i32, grad: usize, vocab: i32, paddingIdx: i32): void {
  const rowBytes = <usize>units << 2;
  memory.fill(grad, 0, <usize>vocab * rowBytes);
  for (let p = 0; p < count; p++) {
    const id = load<i32>(ids + (<usize>p << 2));
    if (id == paddingIdx) continue;
    const from = dOut + <usize>p * rowBytes;
    const to = grad + <usize>id * rowBytes;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= units; j += 4) {
        const o = <usize>j << 2;
        v128.store(to + o, f32x4.add(v128.load(to + o), v128.load(from + o)));
      }
    }
    for (; j < units; j++) {
      const o = <usize>j << 2;
      store<f32>(to + o, load<f32>(to + o) + load<f32>(from + o));
    }
  }
}
