// What every layer type provides. A layer declares its parameter tensors (checkpoint names and
// torch layouts), its output width from its input width, the buffers it keeps between forward
// and backward, its forward and backward as kernel calls, its cost and its ONNX nodes; Network
// only composes layers.

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import type { KernelExports } from '../../wasm/exports.js';

/** A layer's `init` (src/model/init.ts): torchDefault also draws the bias, the others leave it at zero. */
export const INITIALIZERS = ['glorotUniform', 'heNormal', 'lecunNormal', 'torchDefault'] as const;
export type Initializer = (typeof INITIALIZERS)[number];

/** One parameter tensor of a layer, saved as `{index}.{name}`. */
export interface TensorSpec {
  name: string;
  /** torch's layout, e.g. [out, in] for a dense weight. */
  shape: readonly number[];
  /**
   * A seeded initialiser (fan-in and fan-out as given; src/model/init.ts), zeros, ones, seeded N(0, std²)
   * (torch's nn.Embedding: std 1), or U(±1/√fanOut) with fanOut the hidden size (torch's LSTM and GRU).
   */
  init: Initializer | 'zeros' | 'ones' | 'normal' | 'torchRecurrent';
  /** The standard deviation of a 'normal' init (default 1: torch's nn.Embedding). */
  std?: number;
  /** A row (index on the first axis) set to zero after the init: embedding's paddingIdx. */
  zeroRow?: number;
  fanIn: number;
  fanOut: number;
  /** Keras penalties on this tensor: l1·Σ|w| + l2·Σw², added to the loss and the gradient. */
  l1: number;
  l2: number;
}

/** A tensor a layer keeps but does not train (batchnorm's running statistics), saved as `{index}.{name}`. */
export interface StateSpec {
  name: string;
  shape: readonly number[];
  /** Initial value of every element. */
  initial: number;
  /** How checkpoints store it: F32, or I64 for a counter (kept as an exact f32 integer below 2^24 in memory). */
  dtype: 'f32' | 'i64';
}

/** Training mode of a forward pass: dropout masks are keyed by (seed, step, layer, row in the whole batch). */
export interface TrainingStep {
  seed: number;
  step: number;
  /** Where these rows start in the whole batch (a shard of a data-parallel batch starts later). */
  firstRow: number;
}

/** Pointers a layer's forward pass works with (rows × width floats each, row-major). */
export interface ForwardArgs {
  /** The (first) input: rows × inputSize floats. */
  x: number;
  /** Every input, in the entry's `inputs` order (x is the first): merge layers read them all. */
  inputs: readonly number[];
  rows: number;
  out: number;
  /** The layer's own buffers, by the names it declared in `buffers`. */
  buffers: Readonly<Record<string, number>>;
  /** The layer's parameter tensors, in declared order. */
  params: readonly number[];
  /** The layer's state tensors, in declared order. */
  states: readonly number[];
  gemmScratch: number;
  /** null at inference (predict, evaluate). */
  training: TrainingStep | null;
  /** false: the layer's tensors are frozen (no weight gradients; batchnorm runs on its running statistics, as Keras). */
  trainable: boolean;
}

/**
 * Forward's pointers plus the gradients: dOut (may be overwritten), dx (0: not needed), one dx per
 * input (dxs, dx the first), grads per tensor (not to be written when the layer is not trainable).
 */
export interface BackwardArgs extends ForwardArgs {
  dOut: number;
  dx: number;
  dxs: readonly number[];
  grads: readonly number[];
}

export interface Layer {
  /** The spec's `type` ('dense' when the spec gives none). */
  readonly type: string;
  /** Index in spec.layers: checkpoint names are `{index}.{tensor}`. */
  readonly index: number;
  /** Shape of one row's input and output, channels-last ([H, W, C], [T, C], [T] token ids, [n]). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Floats (or ids) per row: the products of the shapes. */
  readonly inputSize: number;
  readonly outputSize: number;
  /** 'index' for a layer that reads Int32 ids (embedding; first layer only): the ids must be in [0, indexRange). */
  readonly inputKind?: 'index';
  readonly indexRange?: number;
  readonly tensors: readonly TensorSpec[];
  /** Tensors kept but not trained (none for most layers). */
  readonly states?: readonly StateSpec[];
  /** Floats per row of each buffer the layer keeps between forward and backward. */
  readonly buffers: Readonly<Record<string, number>>;
  /** For summary(): the layer's kind with its main option, and its activation ('' for none). */
  readonly label: string;
  readonly activation: string;
  /** Multiply-adds per row of the forward pass (dense, conv); the others cost about one per output value. */
  readonly multiplyAdds?: number;
  /** Scratch floats the layer's GEMM calls need for `rows` rows. */
  gemmScratchFloats(k: KernelExports, rows: number): number;
  forward(k: KernelExports, args: ForwardArgs): void;
  /** Writes the tensors' gradients (overwritten, not accumulated; none when not trainable) and each dx asked for (overwritten). */
  backward(k: KernelExports, args: BackwardArgs): void;
  /** The layer's ONNX nodes over its inputs' values; `param` makes its tensors graph constants. */
  onnx(g: Graph, inputs: readonly Value[], param: ParamConstant): Value;
}

/** The number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A shape for messages: [28, 28, 1]. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Copies `floats` floats inside WASM memory (an identity layer's forward or backward). */
export function copyFloats(k: KernelExports, from: number, to: number, floats: number): void {
  new Uint8Array(k.memory.buffer).copyWithin(to, from, from + floats * 4);
}
