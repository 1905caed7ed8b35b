// The layers that join branches of a graph model (Keras' Add and Concatenate): `add` sums inputs
// of equal shapes (residual connections), `concat` joins them along the last axis. No parameters.
// Backward hands each input its part of dOut; a tensor that several entries read gets the sum of
// their gradients from Network, not from here.

import type { Graph, Value } from '../../interop/onnx-graph.js';
import { describe, knownKeys } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, copyFloats, type ForwardArgs, type Layer, shapeText, sizeOf } from './layer.js';

export interface AddLayerSpec {
  type: 'add';
  /** The entries summed (names, or 'input'): at least two. */
  inputs: string[];
}

export interface ConcatLayerSpec {
  type: 'concat';
  inputs: string[];
  /** Only the last axis (-1, the default) for now: channels-last rows join their channels. */
  axis?: -1;
}

/** Checks that a merge entry at `path` reads at least two inputs. */
function checkArity(path: string, type: string, inputShapes: readonly (readonly number[])[]): void {
  if (inputShapes.length < 2) throw new RangeError(`${path} (${type}) joins at least two inputs: give inputs: ['a', 'b'], got ${inputShapes.length} input`);
}

export class AddLayer implements Layer {
  readonly type = 'add';
  readonly tensors = [];
  readonly buffers = {};
  readonly activation = '';
  readonly label = 'add';
  readonly inputSize: number;

  constructor(readonly index: number, readonly inputShapes: readonly (readonly number[])[]) {
    this.inputSize = sizeOf(inputShapes[0]!);
  }

  get inputShape(): readonly number[] {
    return this.inputShapes[0]!;
  }

  get outputShape(): readonly number[] {
    return this.inputShapes[0]!;
  }

  get outputSize(): number {
    return this.inputSize;
  }

  /** Checks an add entry at `path` over inputs of `inputShapes` (all equal). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShapes: readonly (readonly number[])[], inputNames: readonly string[]): AddLayer {
    knownKeys(path, spec, ['type']);
    checkArity(path, 'add', inputShapes);
    inputShapes.forEach((shape, i) => {
      if (shape.length !== inputShapes[0]!.length || shape.some((d, a) => d !== inputShapes[0]![a])) {
        throw new RangeError(
          `${path} (add) sums inputs of equal shapes: input ${JSON.stringify(inputNames[i])} has shape ${shapeText(shape)}, ` +
          `input ${JSON.stringify(inputNames[0])} ${shapeText(inputShapes[0]!)}`,
        );
      }
    });
    return new AddLayer(index, inputShapes);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { inputs, rows, out }: ForwardArgs): void {
    const n = rows * this.inputSize;
    k.add_f32(inputs[0]!, inputs[1]!, out, n);
    for (let i = 2; i < inputs.length; i++) k.add_f32(out, inputs[i]!, out, n);
  }

  backward(k: KernelExports, { rows, dOut, dxs }: BackwardArgs): void {
    for (const dx of dxs) if (dx) copyFloats(k, dOut, dx, rows * this.inputSize);
  }

  onnx(g: Graph, inputs: readonly Value[]): Value {
    // every input in the first one's layout (channels first or last), as Add needs equal shapes
    const same = inputs.map((v) => (inputs[0]!.layout === 'first' ? g.channelsFirst(v) : g.channelsLast(v)));
    return same.slice(1).reduce((sum, v) => ({ ...sum, name: g.op('Add', [sum.name, v.name]) }), same[0]!);
  }
}

export class ConcatLayer implements Layer {
  readonly type = 'concat';
  readonly tensors = [];
  readonly buffers = {};
  readonly activation = '';
  readonly label = 'concat';
  readonly inputSize: number;
  readonly outputShape: readonly number[];
  readonly outputSize: number;
  /** Positions per row (the product of every axis but the last), and each input's last axis. */
  readonly #positions: number;
  readonly #widths: number[];

  constructor(readonly index: number, readonly inputShapes: readonly (readonly number[])[]) {
    const first = inputShapes[0]!;
    this.inputSize = sizeOf(first);
    this.#widths = inputShapes.map((shape) => shape.at(-1)!);
    const width = this.#widths.reduce((a, b) => a + b, 0);
    this.outputShape = [...first.slice(0, -1), width];
    this.outputSize = sizeOf(this.outputShape);
    this.#positions = this.outputSize / width;
  }

  get inputShape(): readonly number[] {
    return this.inputShapes[0]!;
  }

  /** Checks a concat entry at `path` over inputs of `inputShapes` (equal but for the last axis). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShapes: readonly (readonly number[])[], inputNames: readonly string[]): ConcatLayer {
    knownKeys(path, spec, ['type', 'axis']);
    if (spec.axis !== undefined && spec.axis !== -1) throw new RangeError(`${path}.axis must be -1 (concat joins along the last axis), got ${describe(spec.axis)}`);
    checkArity(path, 'concat', inputShapes);
    const first = inputShapes[0]!;
    inputShapes.forEach((shape, i) => {
      if (shape.length !== first.length || shape.slice(0, -1).some((d, a) => d !== first[a])) {
        throw new RangeError(
          `${path} (concat) joins along the last axis, the other axes equal: input ${JSON.stringify(inputNames[i])} has shape ${shapeText(shape)}, ` +
          `input ${JSON.stringify(inputNames[0])} ${shapeText(first)}`,
        );
      }
    });
    return new ConcatLayer(index, inputShapes);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { inputs, rows, out }: ForwardArgs): void {
    const width = this.outputShape.at(-1)!;
    let column = 0;
    this.#widths.forEach((w, i) => {
      k.copy_strided_f32(inputs[i]!, w, out + 4 * column, width, rows * this.#positions, w);
      column += w;
    });
  }

  backward(k: KernelExports, { rows, dOut, dxs }: BackwardArgs): void {
    const width = this.outputShape.at(-1)!;
    let column = 0;
    this.#widths.forEach((w, i) => {
      if (dxs[i]) k.copy_strided_f32(dOut + 4 * column, width, dxs[i]!, w, rows * this.#positions, w);
      column += w;
    });
  }

  onnx(g: Graph, inputs: readonly Value[]): Value {
    const last = inputs.map((v) => g.channelsLast(v));
    return { ...last[0]!, name: g.op('Concat', last.map((v) => v.name), { axis: -1 }) };
  }
}
