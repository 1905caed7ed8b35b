// The raw exports of build/simd.wasm and build/scalar.wasm (assembly/index.ts). Pointers are byte
// offsets into `memory`; every kernel trusts its arguments, so the callers in src/ validate first.

type Ptr = number;

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  alloc(bytes: number): Ptr;
  free(ptr: Ptr): void;
  simd_enabled(): number;
  relaxed_enabled(): number;
  mse_f32(x: Ptr, y: Ptr, n: number, grad: Ptr, items: Ptr, gscale: number): number;
  mae_f32(x: Ptr, y: Ptr, n: number, grad: Ptr, items: Ptr, gscale: number): number;
  huber_f32(x: Ptr, y: Ptr, n: number, grad: Ptr, items: Ptr, gscale: number, delta: number, k: number): number;
  log_cosh_f32(x: Ptr, y: Ptr, n: number, grad: Ptr, items: Ptr, gscale: number): number;
  barron_f32(x: Ptr, y: Ptr, n: number, grad: Ptr, items: Ptr, gscale: number, alpha: number, scale: number, mode: number): number;
  cross_entropy_f32(p: Ptr, y: Ptr, rows: number, cols: number, grad: Ptr, items: Ptr, gscale: number): number;
  kl_div_f32(q: Ptr, p: Ptr, rows: number, cols: number, grad: Ptr, items: Ptr, gscale: number): number;
  bce_f32(p: Ptr, y: Ptr, n: number, w: Ptr, wStep: number, grad: Ptr, items: Ptr, gscale: number): number;
  bce_with_logits_f32(
    x: Ptr, y: Ptr, n: number, w: Ptr, wStep: number, pw: Ptr, pwStep: number, grad: Ptr, items: Ptr, gscale: number,
  ): number;
  hinge_f32(x: Ptr, y: Ptr, n: number, grad: Ptr, items: Ptr, gscale: number, power: number): number;
  poisson_f32(x: Ptr, y: Ptr, n: number, grad: Ptr, items: Ptr, gscale: number): number;
  softmax_cross_entropy_index_f32(
    x: Ptr, t: Ptr, rows: number, cols: number, w: Ptr, wStep: number, weightTotal: number, ignoreIndex: number,
    smoothing: number, grad: Ptr, items: Ptr, gscale: number,
  ): number;
  softmax_cross_entropy_prob_f32(
    x: Ptr, q: Ptr, rows: number, cols: number, w: Ptr, wStep: number, smoothing: number, grad: Ptr, items: Ptr, gscale: number,
  ): number;
  /** Σ w[t_r] over rows whose target is not ignoreIndex (wStep 0: w[0] for every class). */
  index_weight_sum_i32(t: Ptr, rows: number, w: Ptr, wStep: number, ignoreIndex: number): number;
  nll_f32(
    x: Ptr, t: Ptr, rows: number, cols: number, w: Ptr, wStep: number, ignoreIndex: number, grad: Ptr, items: Ptr, gscale: number,
  ): number;
  gemm_scratch_floats(K: number, N: number): number;
  gemm_nn_f32(A: Ptr, B: Ptr, C: Ptr, M: number, K: number, N: number, bias: Ptr, accumulate: boolean, scratch: Ptr): void;
  gemm_nt_f32(A: Ptr, B: Ptr, C: Ptr, M: number, K: number, N: number, bias: Ptr, accumulate: boolean, scratch: Ptr): void;
  gemm_tn_f32(A: Ptr, B: Ptr, C: Ptr, M: number, K: number, N: number, bias: Ptr, accumulate: boolean, scratch: Ptr): void;
  // sequence layers' element-wise kernels (assembly/layers/recurrent.ts, attention.ts); 0 = a zero state
  lstm_cell_forward_f32(gates: Ptr, cPrev: Ptr, c: Ptr, tanhC: Ptr, h: Ptr, hStride: number, rows: number, units: number): void;
  lstm_cell_backward_f32(gates: Ptr, cPrev: Ptr, tanhC: Ptr, dh: Ptr, dhStride: number, dc: Ptr, rows: number, units: number): void;
  gru_cell_forward_f32(gi: Ptr, gh: Ptr, hPrev: Ptr, hPrevStride: number, h: Ptr, hStride: number, rows: number, units: number): void;
  gru_cell_backward_f32(gi: Ptr, gh: Ptr, hPrev: Ptr, hPrevStride: number, dh: Ptr, dhStride: number, dhPrev: Ptr, dhPrevStride: number, rows: number, units: number): void;
  attention_softmax_f32(S: Ptr, rows: number, cols: number, ld: number, batch: number, batchStride: number, scale: number, causal: boolean): void;
  attention_softmax_backward_f32(P: Ptr, dP: Ptr, rows: number, cols: number, ld: number, batch: number, batchStride: number, scale: number, causal: boolean): void;
  /** Batched, strided GEMM (assembly/gemm.ts): strides in floats; bJ = 1 (B row-major) or bK = 1 (Bᵀ). */
  gemm_strided_f32(
    A: Ptr, aRow: number, aCol: number, aBatch: number, B: Ptr, bK: number, bJ: number, bBatch: number,
    C: Ptr, ldc: number, cBatch: number, batch: number, M: number, K: number, N: number, bias: Ptr, accumulate: boolean, scratch: Ptr,
  ): void;
  /** Floats a whole packed B of K × N takes, for gemm_pack_b_f32. */
  gemm_packed_floats(K: number, N: number): number;
  /** Packs all of B (strides as gemm_strided_f32's) once, for gemm_packed_f32 calls that reuse it. */
  gemm_pack_b_f32(B: Ptr, bK: number, bJ: number, K: number, N: number, packed: Ptr): void;
  gemm_packed_f32(A: Ptr, aRow: number, aCol: number, packed: Ptr, C: Ptr, ldc: number, M: number, K: number, N: number, bias: Ptr, accumulate: boolean): void;
  relu_forward_f32(z: Ptr, y: Ptr, n: number): void;
  relu_backward_f32(dy: Ptr, y: Ptr, dz: Ptr, n: number): void;
  leaky_relu_forward_f32(z: Ptr, y: Ptr, n: number): void;
  leaky_relu_backward_f32(dy: Ptr, z: Ptr, dz: Ptr, n: number): void;
  sigmoid_forward_f32(z: Ptr, y: Ptr, n: number): void;
  sigmoid_backward_f32(dy: Ptr, y: Ptr, dz: Ptr, n: number): void;
  tanh_forward_f32(z: Ptr, y: Ptr, n: number): void;
  tanh_backward_f32(dy: Ptr, y: Ptr, dz: Ptr, n: number): void;
  gelu_forward_f32(z: Ptr, y: Ptr, n: number): void;
  gelu_backward_f32(dy: Ptr, z: Ptr, dz: Ptr, n: number): void;
  softmax_forward_f32(z: Ptr, y: Ptr, rows: number, cols: number, log: boolean): void;
  softmax_backward_f32(dy: Ptr, y: Ptr, dz: Ptr, rows: number, cols: number, log: boolean): void;
  sgd_f32(p: Ptr, g: Ptr, buf: Ptr, n: number, lr: number, momentum: number, dampening: number, nesterov: boolean, wd: number, first: boolean): void;
  adam_f32(
    p: Ptr, g: Ptr, m: Ptr, v: Ptr, vmax: Ptr, n: number,
    stepSize: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, sqrtBc2: number, wd: number, decay: number,
  ): void;
  rmsprop_f32(
    p: Ptr, g: Ptr, sq: Ptr, ga: Ptr, buf: Ptr, n: number, lr: number, alpha: number, oneMinusAlpha: number, eps: number, momentum: number, wd: number,
  ): void;
  adagrad_f32(p: Ptr, g: Ptr, sum: Ptr, n: number, clr: number, eps: number, wd: number): void;
  adadelta_f32(p: Ptr, g: Ptr, sq: Ptr, acc: Ptr, n: number, lr: number, rho: number, oneMinusRho: number, eps: number, wd: number): void;
  adamax_f32(
    p: Ptr, g: Ptr, m: Ptr, u: Ptr, n: number, stepSize: number, beta1: number, oneMinusBeta1: number, beta2: number, eps: number, wd: number,
  ): void;
  nadam_f32(
    p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, cGrad: number, cMomentum: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, bc2: number, wd: number,
  ): void;
  lion_f32(
    p: Ptr, g: Ptr, m: Ptr, n: number, lr: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, wd: number,
  ): void;
  lamb_direction_f32(
    p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
    eps: number, invBc1: number, invBc2: number, wd: number,
  ): void;
  subtract_scaled_f32(p: Ptr, u: Ptr, n: number, scale: number): void;
  sum_squares_f32(x: Ptr, n: number): number;
  clip_value_f32(x: Ptr, n: number, c: number): void;
  scale_f32(x: Ptr, n: number, s: number): void;
  gather_rows_f32(src: Ptr, cols: number, idx: Ptr, count: number, dst: Ptr): void;
  /** x = (x − mean[j]) / std[j] in place over rows × cols, in f64 from f64 statistics. */
  standardize_f32(x: Ptr, rows: number, cols: number, mean: Ptr, std: Ptr): void;
  gather_i32(src: Ptr, idx: Ptr, count: number, dst: Ptr): void;
  column_sums_f32(x: Ptr, rows: number, cols: number, out: Ptr, accumulate: boolean): void;
  weight_penalty_f32(w: Ptr, g: Ptr, n: number, l1: number, l2: number): number;
  weighted_sum_f32(out: Ptr, a: number, y: Ptr, b: number, x: Ptr, n: number): void;
  dropout_forward_f32(x: Ptr, y: Ptr, mask: Ptr, n: number, rate: number, key: number, first: number): void;
  dropout_key(seed: number, step: number, layer: number): number;
  multiply_f32(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  count_argmax_matches_i32(out: Ptr, labels: Ptr, rows: number, cols: number, ignoreIndex: number): number;
  count_argmax_matches_f32(out: Ptr, targets: Ptr, rows: number, cols: number): number;
  count_binary_matches_f32(out: Ptr, targets: Ptr, n: number, outThreshold: number, targetThreshold: number): number;
  sum_abs_diff_f32(out: Ptr, targets: Ptr, n: number): number;
  /** Max pooling over rows × [H, W, C] → rows × [OH, OW, C]; argmax (i32) gets each maximum's offset in its input row. */
  maxpool_forward_f32(
    x: Ptr, y: Ptr, argmax: Ptr, rows: number, H: number, W: number, C: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number,
  ): void;
  maxpool_backward_f32(dy: Ptr, argmax: Ptr, dx: Ptr, rows: number, inRow: number, outRow: number): void;
  /** Average pooling (window sum / divisor) over rows × [H, W, C] → rows × [OH, OW, C]. */
  avgpool_forward_f32(
    x: Ptr, y: Ptr, rows: number, H: number, W: number, C: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, divisor: number,
  ): void;
  avgpool_backward_f32(
    dy: Ptr, dx: Ptr, rows: number, H: number, W: number, C: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, divisor: number,
  ): void;
  globalavgpool_forward_f32(x: Ptr, y: Ptr, rows: number, positions: number, C: number): void;
  globalavgpool_backward_f32(dy: Ptr, dx: Ptr, rows: number, positions: number, C: number): void;
  transpose_rows_f32(x: Ptr, out: Ptr, rows: number, a: number, b: number): void;
  embedding_forward_f32(ids: Ptr, count: number, weight: Ptr, units: number, out: Ptr): void;
  embedding_backward_f32(ids: Ptr, count: number, dOut: Ptr, units: number, grad: Ptr, vocab: number, paddingIdx: number): void;
  layernorm_forward_f32(x: Ptr, positions: number, C: number, weight: Ptr, bias: Ptr, eps: number, out: Ptr, mean: Ptr, rstd: Ptr): void;
  layernorm_backward_f32(
    x: Ptr, dy: Ptr, positions: number, C: number, weight: Ptr, mean: Ptr, rstd: Ptr, dx: Ptr, dweight: Ptr, dbias: Ptr,
  ): void;
  batchnorm_stats_f32(x: Ptr, count: number, C: number, mean: Ptr, variance: Ptr): void;
  batchnorm_running_f32(
    mean: Ptr, variance: Ptr, C: number, count: number, momentum: number, eps: number, runningMean: Ptr, runningVar: Ptr, counter: Ptr,
  ): void;
  batchnorm_rstd_f32(variance: Ptr, C: number, eps: number, rstd: Ptr): void;
  batchnorm_apply_f32(x: Ptr, count: number, C: number, mean: Ptr, rstd: Ptr, weight: Ptr, bias: Ptr, out: Ptr): void;
  batchnorm_backward_f32(
    x: Ptr, dy: Ptr, count: number, C: number, mean: Ptr, rstd: Ptr, weight: Ptr, dweight: Ptr, dbias: Ptr, dx: Ptr,
  ): void;
  /** Scratch floats of the conv2d kernels: C channels, F filters, S = kh·kw taps. */
  conv_scratch_floats(C: number, F: number, S: number): number;
  conv2d_forward_f32(
    x: Ptr, rows: number, H: number, W: number, C: number, Ho: number, Wo: number, F: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, w: Ptr, bias: Ptr, out: Ptr, scratch: Ptr,
  ): void;
  conv2d_backward_f32(
    x: Ptr, rows: number, H: number, W: number, C: number, Ho: number, Wo: number, F: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, w: Ptr, dz: Ptr, dweight: Ptr, dx: Ptr, scratch: Ptr,
  ): void;
  /** out = x·a[c]·b[c] per channel over count vectors of C (a frozen batchnorm's backward). */
  channel_scale_f32(x: Ptr, count: number, C: number, a: Ptr, b: Ptr, out: Ptr): void;
  /** out = a + b over n floats; out may be a. */
  add_f32(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  /** count slices of width floats from src + r·srcStride to dst + r·dstStride (strides in floats). */
  copy_strided_f32(src: Ptr, srcStride: number, dst: Ptr, dstStride: number, count: number, width: number): void;
}

