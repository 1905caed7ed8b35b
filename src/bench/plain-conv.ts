// The plain-JS conv2d baseline: direct loops over channels-last rows, forward and backward, with the
// weight rearranged once per call to [kh·kw·C, F] so the innermost loops stream filters. The weight
// gradient accumulates in float64 (a sum over every output position), so the baseline is also the
// accurate side of the results check.

/** The geometry of a conv2d over channels-last rows (the layer's, as its kernels take it). */
export interface ConvGeometry {
  rows: number;
  H: number;
  W: number;
  C: number;
  Ho: number;
  Wo: number;
  F: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  /** Padding rows on top and columns on the left. */
  pt: number;
  pl: number;
}

/** Buffers of one plain-JS conv pass: the weight in torch's layout [F, C, kh, kw], gradients likewise. */
export interface PlainConvBuffers {
  x: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  out: Float32Array;
  /** Upstream gradient, shaped as out. */
  dOut: Float32Array;
  dx: Float32Array;
  dWeight: Float32Array;
  dBias: Float32Array;
}

/** wk[(s·C + c)·F + f] = weight[(f·C + c)·S + s] (S = kh·kw taps), or back into weight. */
function rearrange(weight: Float32Array, wk: Float64Array, g: ConvGeometry, toTorch: boolean): void {
  const S = g.kh * g.kw;
  for (let f = 0; f < g.F; f++) {
    for (let c = 0; c < g.C; c++) {
      for (let s = 0; s < S; s++) {
        if (toTorch) weight[(f * g.C + c) * S + s] = wk[(s * g.C + c) * g.F + f]!;
        else wk[(s * g.C + c) * g.F + f] = weight[(f * g.C + c) * S + s]!;
      }
    }
  }
}

/** out = conv(x, weight) + bias; then dx, dWeight, dBias of Σ dOut·out (overwritten), in plain JS. */
export function plainConvPass(g: ConvGeometry, b: PlainConvBuffers): void {
  const { C, F } = g;
  const wk = new Float64Array(g.kh * g.kw * C * F);
  const dwk = new Float64Array(wk.length);
  const sums = new Float64Array(F);
  rearrange(b.weight, wk, g, false);
  b.dx.fill(0);
  b.dBias.fill(0);
  for (let n = 0; n < g.rows; n++) {
    for (let oy = 0; oy < g.Ho; oy++) {
      for (let ox = 0; ox < g.Wo; ox++) {
        const o = ((n * g.Ho + oy) * g.Wo + ox) * F;
        for (let f = 0; f < F; f++) {
          sums[f] = b.bias[f]!;
          b.dBias[f]! += b.dOut[o + f]!;
        }
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.pt + ky * g.dh;
          if (iy < 0 || iy >= g.H) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw - g.pl + kx * g.dw;
            if (ix < 0 || ix >= g.W) continue;
            const input = ((n * g.H + iy) * g.W + ix) * C;
            const tap = (ky * g.kw + kx) * C;
            for (let c = 0; c < C; c++) {
              const v = b.x[input + c]!;
              const w = (tap + c) * F;
              let back = 0;
              for (let f = 0; f < F; f++) {
                const dz = b.dOut[o + f]!;
                sums[f]! += v * wk[w + f]!;
                dwk[w + f]! += dz * v;
                back += dz * wk[w + f]!;
              }
              b.dx[input + c]! += back;
            }
          }
        }
        for (let f = 0; f < F; f++) b.out[o + f] = sums[f]!;
      }
    }
  }
  rearrange(b.dWeight, dwk, g, true);
}
