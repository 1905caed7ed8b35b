// A learned position embedding, as GPT-2's wpe: a tensor weight [T, C] added to every row [T, C]
// (position t gets weight[t]). Init N(0, 0.02²) as GPT-2 and nanoGPT draw it. Backward: dx = dOut,
// dweight = Σ over rows of dOut.

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import { knownKeys } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, copyFloats, type ForwardArgs, type Layer, shapeText, type TensorSpec } from './layer.js';

export interface PositionEmbeddingLayerSpec {
  type: 'positionEmbedding';
}

export class PositionEmbeddingLayer implements Layer {
  readonly type = 'positionEmbedding';
  readonly activation = '';
  readonly label = 'positionEmbedding';
  readonly buffers = {};
  readonly tensors: TensorSpec[];
  readonly inputSize: number;

  constructor(readonly index: number, readonly inputShape: readonly number[]) {
    const [T, C] = [inputShape[0]!, inputShape[1]!];
    this.inputSize = T * C;
    this.tensors = [{ name: 'weight', shape: [T, C], init: 'normal', std: 0.02, fanIn: T, fanOut: C, l1: 0, l2: 0 }];
  }

  get outputShape(): readonly number[] {
    return this.inputShape;
  }

  get outputSize(): number {
    return this.inputSize;
  }

  /** Checks a positionEmbedding spec at `path` over rows of `inputShape` ([T, C]). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): PositionEmbeddingLayer {
    knownKeys(path, spec, ['type']);
    if (inputShape.length !== 2) {
      throw new RangeError(`${path} (positionEmbedding) needs rows of shape [T, C] (positions, channels), got shape ${shapeText(inputShape)}`);
    }
    return new PositionEmbeddingLayer(index, inputShape);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out, params }: ForwardArgs): void {
    const n = this.inputSize;
    for (let r = 0; r < rows; r++) k.add_f32(x + 4 * r * n, params[0]!, out + 4 * r * n, n);
  }

  backward(k: KernelExports, { rows, dOut, dx, grads, trainable }: BackwardArgs): void {
    if (trainable) k.column_sums_f32(dOut, rows, this.inputSize, grads[0]!, false);
    if (dx) copyFloats(k, dOut, dx, rows * this.inputSize);
  }

  /** An Add of the constant [T, C], broadcast over the batch. */
  onnx(g: Graph, [v]: readonly Value[], param: ParamConstant): Value {
    const x = g.channelsLast(v!);
    return { name: g.op('Add', [x.name, param('weight')]), rank: 3, layout: 'last' };
  }
}
