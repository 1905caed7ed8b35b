// Pooling, as torch.nn.MaxPool2d / AvgPool2d / MaxPool1d / AvgPool1d (ceil_mode off, dilation 1)
// over channels-last rows ([H, W, C] or [T, C]), and a global average pool (the mean over every
// position → [C], as AdaptiveAvgPool2d(1) + Flatten). No parameters. Padding is torch's: implicit,
// at most half the window, never the maximum of a max pool (−∞) and counted as zeros by an average
// pool (count_include_pad=True, so the divisor is always the window's size). Max pooling keeps the
// argmax of each output (an input offset per output float) for its backward pass.

import type { Graph, Value } from '../../interop/onnx-graph.js';
import { describe, knownKeys } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, type ForwardArgs, type Layer, shapeText, sizeOf } from './layer.js';

export type PoolType = 'maxpool2d' | 'avgpool2d' | 'maxpool1d' | 'avgpool1d';

export interface PoolLayerSpec {
  type: PoolType;
  /** Window size: n, or [ph, pw] for 2-d pooling. */
  poolSize: number | readonly number[];
  /** Step between windows (default poolSize): n, or [sh, sw] for 2-d pooling. */
  stride?: number | readonly number[];
  /** 'valid' (default: no padding) or torch's implicit padding on both sides, at most half the window: n, or [ph, pw]. */
  padding?: 'valid' | number | readonly number[];
}

export interface GlobalAvgPoolLayerSpec {
  type: 'globalavgpool';
}

/** Where the windows go over one row: input [H, W, C] (1-d pooling: H = 1), output [OH, OW, C]. */
export interface PoolGeometry {
  H: number; W: number; C: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
  OH: number; OW: number;
}

const POOL_KEYS = ['type', 'poolSize', 'stride', 'padding'];

/** A positive (or, with min 0, non-negative) integer, or an array of `dims` of them, as `dims` numbers. */
function integers(path: string, value: unknown, dims: number, min: 0 | 1): number[] {
  const values = typeof value === 'number' ? Array<number>(dims).fill(value) : value;
  const ok = Array.isArray(values) && values.length === dims && values.every((v) => Number.isInteger(v) && v >= min);
  if (ok) return values as number[];
  const one = min === 1 ? 'a positive integer' : 'a non-negative integer';
  const many = dims === 2 ? ' or [height, width] of them' : '';
  const got = Array.isArray(value) ? `[${value.map(describe).join(', ')}]` : describe(value);
  const Err = value === undefined || typeof value === 'number' || Array.isArray(value) ? RangeError : TypeError;
  throw new Err(`${path} must be ${one}${many}, got ${got}`);
}

export class PoolLayer implements Layer {
  readonly tensors = [];
  readonly buffers: Record<string, number>;
  readonly activation = '';
  readonly inputSize: number;
  readonly outputShape: readonly number[];
  readonly outputSize: number;
  readonly #max: boolean;
  readonly #g: PoolGeometry;

  constructor(readonly index: number, readonly type: PoolType, readonly inputShape: readonly number[], geometry: PoolGeometry) {
    this.#g = geometry;
    this.#max = type.startsWith('max');
    this.inputSize = sizeOf(inputShape);
    const { OH, OW, C } = geometry;
    this.outputShape = type.endsWith('2d') ? [OH, OW, C] : [OW, C];
    this.outputSize = OH * OW * C;
    // max pooling: each output's argmax (an i32 input offset in the row), for the backward pass
    this.buffers = this.#max ? { argmax: this.outputSize } : {};
  }

  /** The window geometry (1-d pooling as rows of height 1), for exporters. */
  get geometry(): Readonly<PoolGeometry> {
    return this.#g;
  }

  get label(): string {
    const { kh, kw } = this.#g;
    return `${this.type}(${this.type.endsWith('2d') && kh !== kw ? `${kh}x${kw}` : kw})`;
  }

  /** Checks a pooling spec at `path` over rows of `inputShape` ([H, W, C] for 2-d, [T, C] for 1-d). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): PoolLayer {
    knownKeys(path, spec, POOL_KEYS);
    const type = spec.type as PoolType;
    const dims = type.endsWith('2d') ? 2 : 1;
    if (inputShape.length !== dims + 1) {
      throw new RangeError(`${path} (${type}) needs an input of shape ${dims === 2 ? '[H, W, C]' : '[T, C]'}, got ${shapeText(inputShape)}`);
    }
    const pool = integers(`${path}.poolSize`, spec.poolSize, dims, 1);
    const stride = spec.stride === undefined ? pool : integers(`${path}.stride`, spec.stride, dims, 1);
    const padding = spec.padding === undefined || spec.padding === 'valid' ? Array<number>(dims).fill(0) : integers(`${path}.padding`, spec.padding, dims, 0);
    const shown = (values: number[]) => (dims === 1 ? String(values[0]) : shapeText(values));
    padding.forEach((p, d) => {
      if (p > Math.floor(pool[d]! / 2)) {
        throw new RangeError(`${path}.padding must be at most half the pool size (torch's rule: ≤ floor(poolSize / 2) = ${Math.floor(pool[d]! / 2)}), got ${shown(padding)} with poolSize ${shown(pool)}`);
      }
    });
    const axes = dims === 2 ? ['height', 'width'] : ['length'];
    const sizes = inputShape.slice(0, dims);
    sizes.forEach((size, d) => {
      if (pool[d]! > size + 2 * padding[d]!) {
        throw new RangeError(
          `${path}.poolSize must fit in the padded input, got ${shown(pool)}: the window ${axes[d]} ${pool[d]} exceeds the input ${axes[d]} ${size}` +
          ` + 2 × padding ${padding[d]} (input shape ${shapeText(inputShape)})`,
        );
      }
    });
    const out = sizes.map((size, d) => Math.floor((size + 2 * padding[d]! - pool[d]!) / stride[d]!) + 1);
    // 1-d pooling is 2-d pooling over rows of height 1 (window height 1, stride 1, no padding)
    const asRows = (values: number[], height: number) => (dims === 2 ? values : [height, values[0]!]);
    const [H, W] = asRows(sizes, 1) as [number, number];
    const [kh, kw] = asRows(pool, 1) as [number, number];
    const [sh, sw] = asRows(stride, 1) as [number, number];
    const [ph, pw] = asRows(padding, 0) as [number, number];
    const [OH, OW] = asRows(out, 1) as [number, number];
    return new PoolLayer(index, type, inputShape, { H, W, C: inputShape.at(-1)!, kh, kw, sh, sw, ph, pw, OH, OW });
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out, buffers }: ForwardArgs): void {
    const { H, W, C, kh, kw, sh, sw, ph, pw, OH, OW } = this.#g;
    if (this.#max) k.maxpool_forward_f32(x, out, buffers.argmax!, rows, H, W, C, kh, kw, sh, sw, ph, pw, OH, OW);
    else k.avgpool_forward_f32(x, out, rows, H, W, C, kh, kw, sh, sw, ph, pw, OH, OW, kh * kw);
  }

  backward(k: KernelExports, { rows, buffers, dOut, dx }: BackwardArgs): void {
    if (!dx) return;
    const { H, W, C, kh, kw, sh, sw, ph, pw, OH, OW } = this.#g;
    if (this.#max) k.maxpool_backward_f32(dOut, buffers.argmax!, dx, rows, this.inputSize, this.outputSize);
    else k.avgpool_backward_f32(dOut, dx, rows, H, W, C, kh, kw, sh, sw, ph, pw, OH, OW, kh * kw);
  }

  onnx(g: Graph, [v]: readonly Value[]): Value {
    const x = g.channelsFirst(v!);
    const { kh, kw, sh, sw, ph, pw } = this.#g;
    const two = this.type.endsWith('2d');
    const attributes = {
      kernel_shape: two ? [kh, kw] : [kw], strides: two ? [sh, sw] : [sw], pads: two ? [ph, pw, ph, pw] : [pw, pw],
    };
    // torch's average pool divides by the whole window, padding included
    const out = this.#max ? g.op('MaxPool', [x.name], attributes) : g.op('AveragePool', [x.name], { ...attributes, count_include_pad: 1 });
    return { name: out, rank: this.outputShape.length + 1, layout: 'first' };
  }
}

export class GlobalAvgPoolLayer implements Layer {
  readonly type = 'globalavgpool';
  readonly tensors = [];
  readonly buffers = {};
  readonly label = 'globalavgpool';
  readonly activation = '';
  readonly inputSize: number;
  readonly outputShape: readonly number[];
  readonly #positions: number;
  readonly #channels: number;

  constructor(readonly index: number, readonly inputShape: readonly number[]) {
    this.inputSize = sizeOf(inputShape);
    this.#channels = inputShape.at(-1)!;
    this.#positions = this.inputSize / this.#channels;
    this.outputShape = [this.#channels];
  }

  get outputSize(): number {
    return this.#channels;
  }

  /** Checks a global average pool spec at `path` over rows of `inputShape` ([H, W, C] or [T, C]). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): GlobalAvgPoolLayer {
    knownKeys(path, spec, ['type']);
    if (inputShape.length < 2) throw new RangeError(`${path} (globalavgpool) needs an input of shape [H, W, C] or [T, C], got ${shapeText(inputShape)}`);
    return new GlobalAvgPoolLayer(index, inputShape);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out }: ForwardArgs): void {
    k.globalavgpool_forward_f32(x, out, rows, this.#positions, this.#channels);
  }

  backward(k: KernelExports, { rows, dOut, dx }: BackwardArgs): void {
    if (dx) k.globalavgpool_backward_f32(dOut, dx, rows, this.#positions, this.#channels);
  }

  onnx(g: Graph, [v]: readonly Value[]): Value {
    if (v!.layout === 'first') {
      return { name: g.op('Flatten', [g.op('GlobalAveragePool', [v!.name])], { axis: 1 }), rank: 2, layout: 'last' };
    }
    const spatial = Array.from({ length: v!.rank - 2 }, (_x, i) => i + 1);
    return { name: g.op('ReduceMean', [v!.name], { axes: spatial, keepdims: 0 }), rank: 2, layout: 'last' };
  }
}
