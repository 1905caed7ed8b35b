// Dense (fully connected) layer, as torch.nn.Linear: y = f(x·Wᵀ + b) with W [out, in].
// Forward and backward are GEMM kernel calls plus the activation's kernels.

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
  readonly tensors: TensorSpec[];
  readonly buffers: Record<string, number>;
  readonly label = 'dense';

  constructor(
    readonly index: number, readonly inputSize: number, readonly outputSize: number, readonly activation: Activation,
    readonly useBias: boolean, l1: number, l2: number, init: Initializer,
  ) {
    this.inputShape = [inputSize];
    this.outputShape = [outputSize];
    const [units, inputs] = [outputSize, inputSize];
    this.tensors = [{ name: 'weight', shape: [units, inputs], init, fanIn: inputs, fanOut: units, l1, l2 }];
    if (useBias) this.tensors.push({ name: 'bias', shape: [units], init: init === 'torchDefault' ? init : 'zeros', fanIn: inputs, fanOut: units, l1: 0, l2: 0 });
    // the pre-activation z, kept for the backward pass (linear layers write z straight into out)
    this.buffers = activation === 'linear' ? {} : { z: units };
  }

  /** Checks a dense layer spec at `path` over a flat input of `inputShape` ([n]). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): DenseLayer {
    knownKeys(path, spec, KEYS);
    if (inputShape.length !== 1) {
      throw new RangeError(`${path} (dense) needs a flat input: add { type: 'flatten' } or { type: 'globalavgpool' } before it, got shape ${shapeText(inputShape)}`);
    }
    const inputSize = inputShape[0]!;
    const units = numberOption(`${path}.units`, spec.units, undefined, { min: 1, integer: true });
    const activation = choiceOption(`${path}.activation`, spec.activation ?? 'linear', ACTIVATIONS);
    const init = choiceOption(`${path}.init`, spec.init ?? 'glorotUniform', INITIALIZERS);
    return new DenseLayer(
      index, inputSize, units, activation, booleanOption(`${path}.useBias`, spec.useBias, true),
      numberOption(`${path}.l1`, spec.l1, 0, { min: 0 }), numberOption(`${path}.l2`, spec.l2, 0, { min: 0 }), init,
    );
  }

  gemmScratchFloats(k: KernelExports, rows: number): number {
    const [units, inputs] = [this.outputSize, this.inputSize];
    return Math.max(k.gemm_scratch_floats(inputs, units), k.gemm_scratch_floats(rows, inputs), k.gemm_scratch_floats(units, inputs));
  }

  forward(k: KernelExports, { x, rows, out, buffers, params, gemmScratch }: ForwardArgs): void {
    const z = buffers.z ?? out;
    const bias = this.useBias ? params[1]! : 0;
    k.gemm_nt_f32(x, params[0]!, z, rows, this.inputSize, this.outputSize, bias, false, gemmScratch);
    if (z !== out) activationForward(k, this.activation, z, out, rows, this.outputSize);
  }

  backward(k: KernelExports, { x, rows, out, buffers, params, gemmScratch, dOut, dx, grads }: BackwardArgs): void {
    const [units, inputs] = [this.outputSize, this.inputSize];
    const z = buffers.z ?? out;
    activationBackward(k, this.activation, dOut, z, out, dOut, rows, units); // dOut becomes dZ
    // dW[out, in] = dZᵀ · X ; db = Σ_rows dZ ; dX = dZ · W
    k.gemm_tn_f32(dOut, x, grads[0]!, units, rows, inputs, 0, false, gemmScratch);
    if (this.useBias) k.column_sums_f32(dOut, rows, units, grads[1]!, false);
    if (dx) k.gemm_nn_f32(dOut, params[0]!, dx, rows, units, inputs, 0, false, gemmScratch);
  }
}
