// An activation as a layer of its own ({ type: 'activation', activation }), as torch's nn.ReLU,
// nn.Tanh, … in an nn.Sequential: no parameters, y = f(x), dx = dy · f′.

import type { Graph, Value } from '../../interop/onnx-graph.js';
import { choiceOption, knownKeys } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type Activation, activationBackward, activationForward, ACTIVATIONS } from '../activations.js';
import { type BackwardArgs, type ForwardArgs, type Layer, sizeOf } from './layer.js';

export interface ActivationLayerSpec {
  type: 'activation';
  activation: Activation;
}

export class ActivationLayer implements Layer {
  readonly type = 'activation';
  readonly tensors = [];
  readonly buffers = {};
  readonly label = 'activation';

  readonly inputSize: number;
  /** Softmax and log_softmax act over the last axis (channels): rows × positions are their rows. */
  readonly #channels: number;

  constructor(readonly index: number, readonly inputShape: readonly number[], readonly activation: Activation) {
    this.inputSize = sizeOf(inputShape);
    this.#channels = inputShape.at(-1)!;
  }

  get outputShape(): readonly number[] {
    return this.inputShape;
  }

  get outputSize(): number {
    return this.inputSize;
  }

  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): ActivationLayer {
    knownKeys(path, spec, ['type', 'activation']);
    return new ActivationLayer(index, inputShape, choiceOption(`${path}.activation`, spec.activation, ACTIVATIONS));
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out }: ForwardArgs): void {
    const rowsOfChannels = (rows * this.inputSize) / this.#channels;
    activationForward(k, this.activation, x, out, rowsOfChannels, this.#channels);
  }

  backward(k: KernelExports, { x, rows, out, dOut, dx }: BackwardArgs): void {
    const rowsOfChannels = (rows * this.inputSize) / this.#channels;
    if (dx) activationBackward(k, this.activation, dOut, x, out, dx, rowsOfChannels, this.#channels);
  }

  onnx(g: Graph, [v]: readonly Value[]): Value {
    return g.activation(v!, this.activation);
  }
}
