// Dropout (inverted, as torch.nn.Dropout): in training each value is kept with probability 1 − rate
// and scaled by 1 / (1 − rate); at inference, and at rate 0, the layer is the identity both ways.

import { knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, copyFloats, type ForwardArgs, type Layer, sizeOf } from './layer.js';

export interface DropoutLayerSpec {
  type: 'dropout';
  rate: number;
}

export class DropoutLayer implements Layer {
  readonly type = 'dropout';
  readonly tensors = [];
  readonly buffers: Record<string, number>;
  readonly activation = '';

  readonly inputSize: number;

  constructor(readonly index: number, readonly inputShape: readonly number[], readonly rate: number) {
    this.inputSize = sizeOf(inputShape);
    // the scaled keep-mask, written only when a training pass drops something
    this.buffers = rate > 0 ? { mask: this.inputSize } : {};
  }

  get outputShape(): readonly number[] {
    return this.inputShape;
  }

  get outputSize(): number {
    return this.inputSize;
  }

  get label(): string {
    return `dropout(${this.rate})`;
  }

  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): DropoutLayer {
    knownKeys(path, spec, ['type', 'rate']);
    return new DropoutLayer(index, inputShape, numberOption(`${path}.rate`, spec.rate, undefined, { min: 0, max: 1, maxExclusive: true }));
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out, buffers, training }: ForwardArgs): void {
    const n = rows * this.inputSize;
    if (!training || this.rate === 0) return copyFloats(k, x, out, n);
    const key = k.dropout_key(training.seed, training.step, this.index);
    k.dropout_forward_f32(x, out, buffers.mask!, n, this.rate, key, training.firstRow * this.inputSize);
  }

  backward(k: KernelExports, { rows, buffers, dOut, dx }: BackwardArgs): void {
    if (!dx) return;
    const n = rows * this.inputSize;
    if (this.rate === 0) copyFloats(k, dOut, dx, n);
    else k.multiply_f32(dOut, buffers.mask!, dx, n);
  }
}
