// Flatten in torch's order: each row's [P, C] block (channels-last, P positions) written as [C, P]
// (channels-first), so the flat row reads (C, H, W) as torch's nn.Flatten of NCHW does. Backward is
// the same transpose the other way.

/** Per row of `a·b` floats: out[j·a + i] = x[i·b + j] (an [a, b] block transposed to [b, a]). */
export function transpose_rows_f32(x: usize, out: usize, rows: i32, a: i32, b: i32): void {
  const rowBytes = <usize>(a * b) << 2;
  for (let r = 0; r < rows; r++) {
    const from = x + <usize>r * rowBytes;
    const to = out + <usize>r * rowBytes;
    for (let i = 0; i < a; i++) {
      const source = from + (<usize>(i * b) << 2);
      for (let j = 0; j < b; j++) {
        store<f32>(to + (<usize>(j * a + i) << 2), load<f32>(source + (<usize>j << 2)));
      }
    }
  }
}
