// Pooling over channels-last rows, forward and backward side by side. A row is [H, W, C] floats
// (1-d pooling is H = 1); an output position's window starts at (oh·sh − ph, ow·sw − pw) and spans
// kh × kw input positions, clipped to the input: torch's implicit padding, which max pooling never
// picks (−∞) and average pooling counts as zeros (count_include_pad, so the host passes kh·kw as the
// divisor). Channels are contiguous, so the f32x4 body runs over 4 channels of one position at a time.

// @ts-ignore: decorator
@inline
function windowStart(o: i32, stride: i32, pad: i32): i32 {
  return max(o * stride - pad, 0);
}

// @ts-ignore: decorator
@inline
function windowEnd(o: i32, stride: i32, pad: i32, kernel: i32, size: i32): i32 {
  return min(o * stride - pad + kernel, size);
}

/**
 * y[r, oh, ow, c] = max over the window of x[r, h, w, c] (rows × [H, W, C] → rows × [OH, OW, C]);
 * argmax (i32, rows × OH·OW·C) gets the offset in floats within the input row of each maximum.
 * Ties keep the first maximum in row-major window order and a NaN wins, as torch's CPU kernel
 * (`val > max || isnan(val)`, starting from the window's first position).
 */
export function maxpool_forward_f32(
  x: usize, y: usize, argmax: usize, rows: i32, H: i32, W: i32, C: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
): void {
  const inRow = H * W * C;
  const outRow = OH * OW * C;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>inRow) << 2);
    let at = <usize>r * <usize>outRow;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = windowStart(oh, sh, ph);
      const h1 = windowEnd(oh, sh, ph, kh, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = windowStart(ow, sw, pw);
        const w1 = windowEnd(ow, sw, pw, kw, W);
        const first = (h0 * W + w0) * C;
        let c = 0;
        if (ASC_FEATURE_SIMD) {
          const lanes = i32x4(0, 1, 2, 3);
          for (; c + 4 <= C; c += 4) {
            let best = v128.load(xr + (<usize>(first + c) << 2));
            let index = i32x4.add(i32x4.splat(first + c), lanes);
            for (let h = h0; h < h1; h++) {
              for (let w = h == h0 ? w0 + 1 : w0; w < w1; w++) {
                const p = (h * W + w) * C + c;
                const v = v128.load(xr + (<usize>p << 2));
                const take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
                best = v128.bitselect(v, best, take);
                index = v128.bitselect(i32x4.add(i32x4.splat(p), lanes), index, take);
              }
            }
            v128.store(y + ((at + <usize>c) << 2), best);
            v128.store(argmax + ((at + <usize>c) << 2), index);
          }
        }
        for (; c < C; c++) {
          let best = load<f32>(xr + (<usize>(first + c) << 2));
          let index = first + c;
          for (let h = h0; h < h1; h++) {
            for (let w = h == h0 ? w0 + 1 : w0; w < w1; w++) {
              const p = (h * W + w) * C + c;
              const v = load<f32>(xr + (<usize>p << 2));
              if (v > best || v != v) {
                best = v;
                index = p;
              }
            }
          }
          store<f32>(y + ((at + <usize>c) << 2), best);
          store<i32>(argmax + ((at + <usize>c) << 2), index);
        }
        at += <usize>C;
      }
    }
  }
}

/** dx = 0, then dx[r, argmax[r, j]] += dy[r, j] for each output j (overlapping windows add up). */
export function maxpool_backward_f32(dy: usize, argmax: usize, dx: usize, rows: i32, inRow: i32, outRow: i32): void {
  memory.fill(dx, 0, (<usize>rows * <usize>inRow) << 2);
  for (let r = 0; r < rows; r++) {
    const dxr = dx + ((<usize>r * <usize>inRow) << 2);
    const base = <usize>r * <usize>outRow;
    for (let j = 0; j < outRow; j++) {
      const o = (base + <usize>j) << 2;
      const target = dxr + (<usize>load<i32>(argmax + o) << 2);
      store<f32>(target, load<f32>(target) + load<f32>(dy + o));
    }
  }
}

/** y[r, oh, ow, c] = (Σ over the window of x[r, h, w, c]) / divisor (rows × [H, W, C] → rows × [OH, OW, C]). */
export function avgpool_forward_f32(
  x: usize, y: usize, rows: i32, H: i32, W: i32, C: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32, divisor: f32,
): void {
  const inRow = H * W * C;
  const outRow = OH * OW * C;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>inRow) << 2);
    let at = <usize>r * <usize>outRow;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = windowStart(oh, sh, ph);
      const h1 = windowEnd(oh, sh, ph, kh, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = windowStart(ow, sw, pw);
        const w1 = windowEnd(ow, sw, pw, kw, W);
        let c = 0;
        if (ASC_FEATURE_SIMD) {
          const d = f32x4.splat(divisor);
          for (; c + 4 <= C; c += 4) {
            let sum = f32x4.splat(0);
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) sum = f32x4.add(sum, v128.load(xr + (<usize>((h * W + w) * C + c) << 2)));
            }
            v128.store(y + ((at + <usize>c) << 2), f32x4.div(sum, d));
          }
        }
        for (; c < C; c++) {
          let sum: f32 = 0;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) sum += load<f32>(xr + (<usize>((h * W + w) * C + c) << 2));
          }
          store<f32>(y + ((at + <usize>c) << 2), sum / divisor);
        }
        at += <usize>C;
      }
    }
  }
}

/** dx = 0, then every input position of an output's window gets dy[r, oh, ow, c] / divisor added. */
export function avgpool_backward_f32(
  dy: usize, dx: usize, rows: i32, H: i32, W: i32, C: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32, divisor: f32,
): void {
  const inRow = H * W * C;
  const outRow = OH * OW * C;
  memory.fill(dx, 0, (<usize>rows * <usize>inRow) << 2);
  for (let r = 0; r < rows; r++) {
    const dxr = dx + ((<usize>r * <usize>inRow) << 2);
    let at = <usize>r * <usize>outRow;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = windowStart(oh, sh, ph);
      const h1 = windowEnd(oh, sh, ph, kh, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = windowStart(ow, sw, pw);
        const w1 = windowEnd(ow, sw, pw, kw, W);
        let c = 0;
        if (ASC_FEATURE_SIMD) {
          const d = f32x4.splat(divisor);
          for (; c + 4 <= C; c += 4) {
            const g = f32x4.div(v128.load(dy + ((at + <usize>c) << 2)), d);
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) {
                const o = dxr + (<usize>((h * W + w) * C + c) << 2);
                v128.store(o, f32x4.add(v128.load(o), g));
              }
            }
          }
        }
        for (; c < C; c++) {
          const g = load<f32>(dy + ((at + <usize>c) << 2)) / divisor;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const o = dxr + (<usize>((h * W + w) * C + c) << 2);
              store<f32>(o, load<f32>(o) + g);
            }
          }
        }
        at += <usize>C;
      }
    }
  }
}

/** y[r, c] = (Σ_p x[r, p, c]) / positions: the mean over every position of rows × [positions, C]. */
export function globalavgpool_forward_f32(x: usize, y: usize, rows: i32, positions: i32, C: i32): void {
  const n = <f32>positions;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>positions * <usize>C) << 2);
    const yr = y + ((<usize>r * <usize>C) << 2);
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const d = f32x4.splat(n);
      for (; c + 4 <= C; c += 4) {
        let sum = f32x4.splat(0);
        for (let p = 0; p < positions; p++) sum = f32x4.add(sum, v128.load(xr + (<usize>(p * C + c) << 2)));
        v128.store(yr + (<usize>c << 2), f32x4.div(sum, d));
      }
    }
    for (; c < C; c++) {
      let sum: f32 = 0;
      for (let p = 0; p < positions; p++) sum += load<f32>(xr + (<usize>(p * C + c) << 2));
      store<f32>(yr + (<usize>c << 2), sum / n);
    }
  }
}

/** dx[r, p, c] = dy[r, c] / positions at every position. */
export function globalavgpool_backward_f32(dy: usize, dx: usize, rows: i32, positions: i32, C: i32): void {
  const n = <f32>positions;
  for (let r = 0; r < rows; r++) {
    const dxr = dx + ((<usize>r * <usize>positions * <usize>C) << 2);
    const dyr = dy + ((<usize>r * <usize>C) << 2);
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const d = f32x4.splat(n);
      for (; c + 4 <= C; c += 4) {
        const g = f32x4.div(v128.load(dyr + (<usize>c << 2)), d);
        for (let p = 0; p < positions; p++) v128.store(dxr + (<usize>(p * C + c) << 2), g);
      }
    }
    for (; c < C; c++) {
      const g = load<f32>(dyr + (<usize>c << 2)) / n;
      for (let p = 0; p < positions; p++) store<f32>(dxr + (<usize>(p * C + c) << 2), g);
    }
  }
}
