// Layer normalisation, as torch.nn.LayerNorm(C) on channels-last rows: each position's C channels
// (the last axis) are normalised with their own mean and biased variance, then scaled by weight
// (ones) and shifted by bias (zeros), both [C]. The same in training and at inference.

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import { knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, type ForwardArgs, type Layer, sizeOf, type TensorSpec } from './layer.js';

export interface LayerNormLayerSpec {
  type: 'layernorm';
  /** Added to the variance before the square root (torch's default 1e-5). */
  eps?: number;
}

export class LayerNormLayer implements Layer {
  readonly type = 'layernorm';
  readonly activation = '';
  readonly label = 'layernorm';
  readonly inputSize: number;
  readonly tensors: TensorSpec[];
  /** Each position's mean and rstd = 1/sqrt(var + eps), kept for the backward pass. */
  readonly buffers: Record<string, number>;
  /** Positions per row (the product of the shape but its last axis). */
  readonly positions: number;
  readonly channels: number;

  constructor(readonly index: number, readonly inputShape: readonly number[], readonly eps: number) {
    this.inputSize = sizeOf(inputShape);
    this.channels = inputShape.at(-1)!;
    this.positions = this.inputSize / this.channels;
    const C = this.channels;
    this.tensors = [
      { name: 'weight', shape: [C], init: 'ones', fanIn: C, fanOut: C, l1: 0, l2: 0 },
      { name: 'bias', shape: [C], init: 'zeros', fanIn: C, fanOut: C, l1: 0, l2: 0 },
    ];
    this.buffers = { mean: this.positions, rstd: this.positions };
  }

  get outputShape(): readonly number[] {
    return this.inputShape;
  }

  get outputSize(): number {
    return this.inputSize;
  }

  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): LayerNormLayer {
    knownKeys(path, spec, ['type', 'eps']);
    return new LayerNormLayer(index, inputShape, numberOption(`${path}.eps`, spec.eps, 1e-5, { min: 0, minExclusive: true }));
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out, buffers, params }: ForwardArgs): void {
    k.layernorm_forward_f32(x, rows * this.positions, this.channels, params[0]!, params[1]!, this.eps, out, buffers.mean!, buffers.rstd!);
  }

  backward(k: KernelExports, { x, rows, buffers, params, dOut, dx, grads }: BackwardArgs): void {
    // frozen, it still writes its (cheap, same-pass) weight gradients into its own slots, which no optimizer reads
    k.layernorm_backward_f32(x, dOut, rows * this.positions, this.channels, params[0]!, buffers.mean!, buffers.rstd!, dx, grads[0]!, grads[1]!);
  }

  onnx(g: Graph, [v]: readonly Value[], param: ParamConstant): Value {
    const x = g.channelsLast(v!);
    return { ...x, name: g.op('LayerNormalization', [x.name, param('weight'), param('bias')], { axis: -1, epsilon: { float: this.eps } }) };
  }
}
