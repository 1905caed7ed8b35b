// An activation as a layer of its own ({ type: 'activation', activation }), as torch's nn.ReLU,
// nn.Tanh, … in an nn.Sequential: no parameters, y = f(x), dx = dy · f′.

import { describe, knownKeys } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type Activation, activationBackward, activationForward, ACTIVATIONS } from '../activations.js';
import type { BackwardArgs, ForwardArgs, Layer } from './layer.js';

export interface ActivationLayerSpec {
  type: 'activation';
  activation: Activation;
}

export class ActivationLayer implements Layer {
  readonly type = 'activation';
  readonly tensors = [];
  readonly buffers = {};
  readonly label = 'activation';

  constructor(readonly index: number, readonly inputSize: number, readonly activation: Activation) {}

  get outputSize(): number {
    return this.inputSize;
  }

  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputSize: number): ActivationLayer {
    knownKeys(path, spec, ['type', 'activation']);
    const activation = spec.activation;
    if (typeof activation !== 'string' || !(ACTIVATIONS as readonly string[]).includes(activation)) {
      throw new RangeError(`${path}.activation must be one of ${ACTIVATIONS.join(', ')}; got ${describe(activation)}`);
    }
    return new ActivationLayer(index, inputSize, activation as Activation);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out }: ForwardArgs): void {
    activationForward(k, this.activation, x, out, rows, this.inputSize);
  }

  backward(k: KernelExports, { x, rows, out, dOut, dx }: BackwardArgs): void {
    if (dx) activationBackward(k, this.activation, dOut, x, out, dx, rows, this.inputSize);
  }
}
