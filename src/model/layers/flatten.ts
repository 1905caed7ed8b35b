// Flatten: a row of any shape as one flat vector, in channels-last order ([H, W, C] → H·W·C), so a
// dense layer can follow. The values do not move; forward and backward copy them through.

import type { Graph, Value } from '../../interop/onnx-graph.js';
import { knownKeys } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, copyFloats, type ForwardArgs, type Layer, sizeOf } from './layer.js';

export interface FlattenLayerSpec {
  type: 'flatten';
}

export class FlattenLayer implements Layer {
  readonly type = 'flatten';
  readonly tensors = [];
  readonly buffers = {};
  readonly label = 'flatten';
  readonly activation = '';
  readonly inputSize: number;
  readonly outputShape: readonly number[];

  constructor(readonly index: number, readonly inputShape: readonly number[]) {
    this.inputSize = sizeOf(inputShape);
    this.outputShape = [this.inputSize];
  }

  get outputSize(): number {
    return this.inputSize;
  }

  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): FlattenLayer {
    knownKeys(path, spec, ['type']);
    return new FlattenLayer(index, inputShape);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out }: ForwardArgs): void {
    copyFloats(k, x, out, rows * this.inputSize);
  }

  backward(k: KernelExports, { rows, dOut, dx }: BackwardArgs): void {
    if (dx) copyFloats(k, dOut, dx, rows * this.inputSize);
  }

  /** descent's flatten is channels-last: the values go back to that layout first. */
  onnx(g: Graph, [v]: readonly Value[]): Value {
    const x = g.channelsLast(v!);
    return { name: g.op('Flatten', [x.name], { axis: 1 }), rank: 2, layout: 'last' };
  }
}
