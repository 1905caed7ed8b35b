// Dense (fully connected) layer, as torch.nn.Linear: y = f(x·Wᵀ + b) with W [out, in], over a flat
// row [in] or over the last axis of a row [T, in] (each of the T positions alike, as torch's Linear
// and Keras' Dense on sequences: [T, in] → [T, out]). Forward and backward are GEMM kernel calls over
// all rows·T positions at once, plus the activation's kernels.

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import { booleanOption, choiceOption, knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type Activation, activationBackward, activationForward, ACTIVATIONS } from '../activations.js';
import { type BackwardArgs, type ForwardArgs, INITIALIZERS, type Initializer, type Layer, shapeText, type TensorSpec } from './layer.js';

export interface DenseLayerSpec {
  type?: 'dense';
  units: number;
  activation?: Activation;
  /** Keras-style penalties on this layer's weights (not biases): l1·Σ|w| + l2·Σw². */
  l1?: number;
  l2?: number;
  useBias?: boolean;
  init?: Initializer;
}

const KEYS = ['type', 'units', 'activation', 'l1', 'l2', 'useBias', 'init'];

export class DenseLayer implements Layer {
  readonly type = 'dense';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Positions per row: T for a [T, in] input, 1 for a flat one. */
  readonly positions: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly tensors: TensorSpec[];
  readonly buffers: Record<string, number>;
  readonly label = 'dense';

  constructor(
    readonly index: number, readonly inputs: number, readonly units: number, readonly activation: Activation,
    readonly useBias: boolean, l1: number, l2: number, init: Initializer, positions?: number,
  ) {
    this.positions = positions ?? 1;
    this.inputShape = positions === undefined ? [inputs] : [positions, inputs];
    this.outputShape = positions === undefined ? [units] : [positions, units];
    this.inputSize = this.positions * inputs;
    this.outputSize = this.positions * units;
    this.tensors = [{ name: 'weight', shape: [units, inputs], init, fanIn: inputs, fanOut: units, l1, l2 }];
    if (useBias) this.tensors.push({ name: 'bias', shape: [units], init: init === 'torchDefault' ? init : 'zeros', fanIn: inputs, fanOut: units, l1: 0, l2: 0 });
    // the pre-activation z, kept for the backward pass (linear layers write z straight into out)
    this.buffers = activation === 'linear' ? {} : { z: this.outputSize };
  }

  /** Checks a dense layer spec at `path` over a flat input of `inputShape` ([n]) or a sequence ([T, n]). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): DenseLayer {
    knownKeys(path, spec, KEYS);
    if (inputShape.length > 2) {
      throw new RangeError(`${path} (dense) needs a flat input [n] or a sequence [T, n]: add { type: 'flatten' } or { type: 'globalavgpool' } before it, got shape ${shapeText(inputShape)}`);
    }
    const inputSize = inputShape.at(-1)!;
    const units = numberOption(`${path}.units`, spec.units, undefined, { min: 1, integer: true });
    const activation = choiceOption(`${path}.activation`, spec.activation ?? 'linear', ACTIVATIONS);
    const init = choiceOption(`${path}.init`, spec.init ?? 'glorotUniform', INITIALIZERS);
    return new DenseLayer(
      index, inputSize, units, activation, booleanOption(`${path}.useBias`, spec.useBias, true),
      numberOption(`${path}.l1`, spec.l1, 0, { min: 0 }), numberOption(`${path}.l2`, spec.l2, 0, { min: 0 }), init,
      inputShape.length === 2 ? inputShape[0] : undefined,
    );
  }

  gemmScratchFloats(k: KernelExports, rows: number): number {
    const { units, inputs } = this;
    return Math.max(k.gemm_scratch_floats(inputs, units), k.gemm_scratch_floats(rows * this.positions, inputs), k.gemm_scratch_floats(units, inputs));
  }

  forward(k: KernelExports, { x, rows, out, buffers, params, gemmScratch }: ForwardArgs): void {
    const z = buffers.z ?? out;
    const bias = this.useBias ? params[1]! : 0;
    const positions = rows * this.positions;
    k.gemm_nt_f32(x, params[0]!, z, positions, this.inputs, this.units, bias, false, gemmScratch);
    if (z !== out) activationForward(k, this.activation, z, out, positions, this.units);
  }

  get multiplyAdds(): number {
    return this.inputSize * this.units;
  }

  backward(k: KernelExports, { x, rows: samples, out, buffers, params, gemmScratch, dOut, dx, grads, trainable }: BackwardArgs): void {
    const { units, inputs } = this;
    // every position of every row is one row of the GEMMs
    const rows = samples * this.positions;
    const z = buffers.z ?? out;
    activationBackward(k, this.activation, dOut, z, out, dOut, rows, units); // dOut becomes dZ
    // dW[out, in] = dZᵀ · X ; db = Σ_rows dZ ; dX = dZ · W
    if (trainable) {
      k.gemm_tn_f32(dOut, x, grads[0]!, units, rows, inputs, 0, false, gemmScratch);
      if (this.useBias) k.column_sums_f32(dOut, rows, units, grads[1]!, false);
    }
    if (dx) k.gemm_nn_f32(dOut, params[0]!, dx, rows, units, inputs, 0, false, gemmScratch);
  }

  /** Gemm (with transB) on flat rows; over [T, in] a MatMul by Wᵀ and an Add of the bias, per position. */
  onnx(g: Graph, [v]: readonly Value[], param: ParamConstant): Value {
    if (this.positions > 1 || this.inputShape.length === 2) {
      const x = g.channelsLast(v!);
      const product = g.op('MatMul', [x.name, g.op('Transpose', [param('weight')], { perm: [1, 0] })]);
      const z = this.useBias ? g.op('Add', [product, param('bias')]) : product;
      return g.activation({ name: z, rank: 3, layout: 'last' }, this.activation);
    }
    const inputs = [v!.name, param('weight'), ...(this.useBias ? [param('bias')] : [])];
    return g.activation({ name: g.op('Gemm', inputs, { transB: 1 }), rank: 2, layout: 'last' }, this.activation);
  }
}
