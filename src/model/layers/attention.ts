// Multi-head self-attention, as torch.nn.MultiheadAttention(C, heads, batch_first=True) called as
// mha(x, x, x, need_weights=False) on channels-last rows [T, C] (C % heads = 0, head width d = C/heads):
//   [Q K V] = x·W_inᵀ + b_in          W_in = in_proj_weight [3C, C], b_in = in_proj_bias [3C]
//   P_h = softmax(Q_h·K_hᵀ / √d)       per head, masked above the diagonal when causal
//   out = [P_1·V_1 … P_H·V_H]·W_outᵀ + b_out   W_out = out_proj.weight [C, C], b_out = out_proj.bias [C]
// `causal` is torch's attn_mask = triu(ones(T, T), 1): position i sees positions 0..i.
//
// Every product is one GEMM call: the projections over all rows·T positions at once, the per-head
// products as gemm_strided_f32 batches over the heads of one row, reading Q, K and V where they lie
// in the [T, 3C] projection (row stride 3C, head h at column h·d) and writing each head's output into
// its columns of [T, C]: no per-head copies. The masked softmax (assembly/layers/attention.ts) runs
// over all rows·heads probability blocks in one call.
//
// Floats kept per row: the projection 3·T·C, the probabilities heads·T² (the T² term: long contexts
// cost memory quadratically), the heads' output T·C; the backward pass adds heads·T² (the
// probabilities' gradient) and 3·T·C (the projection's).

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import { booleanOption, knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, type ForwardArgs, type Layer, shapeText, type TensorSpec } from './layer.js';

export interface AttentionLayerSpec {
  type: 'attention';
  heads: number;
  /** true: position i attends to positions 0..i only (a language model's mask). */
  causal?: boolean;
}

export class AttentionLayer implements Layer {
  readonly type = 'attention';
  readonly activation = '';
  readonly inputShape: readonly number[];
  readonly tensors: TensorSpec[];
  readonly buffers: Record<string, number>;
  readonly label: string;
  readonly steps: number;
  readonly channels: number;
  /** Channels per head. */
  readonly width: number;

  constructor(readonly index: number, inputShape: readonly number[], readonly heads: number, readonly causal: boolean) {
    const [T, C] = [inputShape[0]!, inputShape[1]!];
    this.inputShape = inputShape;
    this.steps = T;
    this.channels = C;
    this.width = C / heads;
    // torch's _reset_parameters: xavier_uniform_ in_proj (fan_in C, fan_out 3C), zero biases; out_proj
    // is an nn.Linear (kaiming_uniform(a = √5): U(±1/√C)) whose bias MHA then zeroes
    this.tensors = [
      { name: 'in_proj_weight', shape: [3 * C, C], init: 'glorotUniform', fanIn: C, fanOut: 3 * C, l1: 0, l2: 0 },
      { name: 'in_proj_bias', shape: [3 * C], init: 'zeros', fanIn: C, fanOut: 3 * C, l1: 0, l2: 0 },
      { name: 'out_proj.weight', shape: [C, C], init: 'torchDefault', fanIn: C, fanOut: C, l1: 0, l2: 0 },
      { name: 'out_proj.bias', shape: [C], init: 'zeros', fanIn: C, fanOut: C, l1: 0, l2: 0 },
    ];
    this.buffers = { qkv: 3 * T * C, probs: heads * T * T, merged: T * C, dProbs: heads * T * T, dQkv: 3 * T * C };
    this.label = `attention(${heads}${causal ? ', causal' : ''})`;
  }

  get outputShape(): readonly number[] {
    return this.inputShape;
  }

  get inputSize(): number {
    return this.steps * this.channels;
  }

  get outputSize(): number {
    return this.inputSize;
  }

  /** Checks an attention spec at `path` over rows of `inputShape` ([T, C]). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): AttentionLayer {
    knownKeys(path, spec, ['type', 'heads', 'causal']);
    if (inputShape.length !== 2) {
      throw new RangeError(`${path} (attention) needs rows of shape [T, C] (positions, channels), got shape ${shapeText(inputShape)}`);
    }
    const heads = numberOption(`${path}.heads`, spec.heads, undefined, { min: 1, integer: true });
    const C = inputShape[1]!;
    if (C % heads !== 0) throw new RangeError(`${path}.heads must divide the channels C = ${C} (C % heads = 0), got ${heads}`);
    return new AttentionLayer(index, inputShape, heads, booleanOption(`${path}.causal`, spec.causal, false));
  }

  /** Projections (4·T·C²) and the two per-head products (2·T²·C). */
  get multiplyAdds(): number {
    const [T, C] = [this.steps, this.channels];
    return 4 * T * C * C + 2 * T * T * C;
  }

  gemmScratchFloats(k: KernelExports, rows: number): number {
    const [T, C, d] = [this.steps, this.channels, this.width];
    return Math.max(
      k.gemm_scratch_floats(C, 3 * C), k.gemm_scratch_floats(C, C), k.gemm_scratch_floats(3 * C, C),
      k.gemm_scratch_floats(rows * T, C), k.gemm_scratch_floats(d, T), k.gemm_scratch_floats(T, d),
    );
  }

  get #scale(): number {
    return 1 / Math.sqrt(this.width);
  }

  forward(k: KernelExports, { x, rows, out, buffers, params, gemmScratch }: ForwardArgs): void {
    const [T, C, H, d] = [this.steps, this.channels, this.heads, this.width];
    const { qkv, probs, merged } = buffers as Record<string, number>;
    k.gemm_nt_f32(x, params[0]!, qkv!, rows * T, C, 3 * C, params[1]!, false, gemmScratch);
    for (let r = 0; r < rows; r++) {
      const q = qkv! + 4 * r * T * 3 * C;
      // S_h = Q_h·K_hᵀ: K_h read transposed where it lies (k at stride 1, j at stride 3C)
      k.gemm_strided_f32(q, 3 * C, 1, d, q + 4 * C, 1, 3 * C, d, probs! + 4 * r * H * T * T, T, T * T, H, T, d, T, 0, false, gemmScratch);
    }
    k.attention_softmax_f32(probs!, T, T, T, rows * H, T * T, this.#scale, this.causal);
    for (let r = 0; r < rows; r++) {
      const v = qkv! + 4 * (r * T * 3 * C + 2 * C);
      // O_h = P_h·V_h into head h's columns of the merged [T, C]
      k.gemm_strided_f32(probs! + 4 * r * H * T * T, T, 1, T * T, v, 3 * C, 1, d, merged! + 4 * r * T * C, C, d, H, T, T, d, 0, false, gemmScratch);
    }
    k.gemm_nt_f32(merged!, params[2]!, out, rows * T, C, C, params[3]!, false, gemmScratch);
  }

  backward(k: KernelExports, { x, rows, buffers, params, gemmScratch, dOut, dx, grads, trainable }: BackwardArgs): void {
    const [T, C, H, d] = [this.steps, this.channels, this.heads, this.width];
    const { qkv, probs, merged, dProbs, dQkv } = buffers as Record<string, number>;
    const positions = rows * T;
    if (trainable) {
      k.gemm_tn_f32(dOut, merged!, grads[2]!, C, positions, C, 0, false, gemmScratch);
      k.column_sums_f32(dOut, positions, C, grads[3]!, false);
    }
    // the merged heads' gradient overwrites them (their last reader was dW_out)
    const dMerged = merged!;
    k.gemm_nn_f32(dOut, params[2]!, dMerged, positions, C, C, 0, false, gemmScratch);
    for (let r = 0; r < rows; r++) {
      const base = 4 * r * T * 3 * C;
      const P = probs! + 4 * r * H * T * T;
      const dO = dMerged + 4 * r * T * C;
      // dV_h = P_hᵀ·dO_h ; dP_h = dO_h·V_hᵀ
      k.gemm_strided_f32(P, 1, T, T * T, dO, C, 1, d, dQkv! + base + 8 * C, 3 * C, d, H, T, T, d, 0, false, gemmScratch);
      k.gemm_strided_f32(dO, C, 1, d, qkv! + base + 8 * C, 1, 3 * C, d, dProbs! + 4 * r * H * T * T, T, T * T, H, T, d, T, 0, false, gemmScratch);
    }
    // dS = scale · P ⊙ (dP − Σ dP⊙P): the scores' gradient, over dP
    k.attention_softmax_backward_f32(probs!, dProbs!, T, T, T, rows * H, T * T, this.#scale, this.causal);
    for (let r = 0; r < rows; r++) {
      const base = 4 * r * T * 3 * C;
      const dS = dProbs! + 4 * r * H * T * T;
      // dQ_h = dS_h·K_h ; dK_h = dS_hᵀ·Q_h
      k.gemm_strided_f32(dS, T, 1, T * T, qkv! + base + 4 * C, 3 * C, 1, d, dQkv! + base, 3 * C, d, H, T, T, d, 0, false, gemmScratch);
      k.gemm_strided_f32(dS, 1, T, T * T, qkv! + base, 3 * C, 1, d, dQkv! + base + 4 * C, 3 * C, d, H, T, T, d, 0, false, gemmScratch);
    }
    if (trainable) {
      k.gemm_tn_f32(dQkv!, x, grads[0]!, 3 * C, positions, C, 0, false, gemmScratch);
      k.column_sums_f32(dQkv!, positions, 3 * C, grads[1]!, false);
    }
    if (dx) k.gemm_nn_f32(dQkv!, params[0]!, dx, positions, 3 * C, C, 0, false, gemmScratch);
  }

  /**
   * torch's MultiheadAttention as MatMul / Softmax: the projection [N, T, 3C] reshaped to
   * [N, T, 3, heads, d] and transposed to [3, N, heads, T, d] (Q, K, V by a Gather), scores
   * Q·Kᵀ/√d [N, heads, T, T] (+ a constant −∞ above the diagonal when causal), Softmax on the last
   * axis, times V, the heads merged back to [N, T, C], then the output projection.
   */
  onnx(g: Graph, [v]: readonly Value[], param: ParamConstant): Value {
    const [T, C, H, d, i] = [this.steps, this.channels, this.heads, this.width, this.index];
    const x = g.channelsLast(v!);
    const weightT = (name: string) => g.op('Transpose', [param(name)], { perm: [1, 0] });
    const qkv = g.op('Add', [g.op('MatMul', [x.name, weightT('in_proj_weight')]), param('in_proj_bias')]);
    const split = g.op('Transpose', [g.op('Reshape', [qkv, g.ints(i, 'qkv_shape', [-1, T, 3, H, d])])], { perm: [2, 0, 3, 1, 4] });
    const [q, k, value] = [0, 1, 2].map((j) => g.op('Gather', [split, g.constant(`${i}.onnx_part_${j}`, [], { int64: [j] })], { axis: 0 }));
    const scale = g.constant(`${i}.onnx_scale`, [], Float32Array.of(1 / Math.sqrt(d)));
    let scores = g.op('Mul', [g.op('MatMul', [q!, g.op('Transpose', [k!], { perm: [0, 1, 3, 2] })]), scale]);
    if (this.causal) {
      // torch's attn_mask triu(ones(T, T), 1): position t sees 0..t
      const mask = Float32Array.from({ length: T * T }, (_v, n) => (n % T > Math.floor(n / T) ? -Infinity : 0));
      scores = g.op('Add', [scores, g.constant(`${i}.onnx_causal_mask`, [T, T], mask)]);
    }
    const heads = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), value!]);
    const merged = g.op('Reshape', [g.op('Transpose', [heads], { perm: [0, 2, 1, 3] }), g.ints(i, 'merged_shape', [-1, T, C])]);
    const out = g.op('Add', [g.op('MatMul', [merged, weightT('out_proj.weight')]), param('out_proj.bias')]);
    return { name: out, rank: 3, layout: 'last' };
  }
}
