// Convolution layers, as torch.nn.Conv2d / nn.Conv1d over channels-last rows: conv2d [H, W, C] →
// [Ho, Wo, filters], conv1d [T, C] → [To, filters] (a conv2d with H = kh = 1). The weight is
// torch's [filters, C, kh, kw] ([filters, C, k] for conv1d); y = f(conv(x, W) + b). Forward and
// backward are one kernel call each (im2col + GEMM, assembly/layers/conv.ts) plus the activation's kernels.

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import { booleanOption, choiceOption, describe, didYouMean, knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type Activation, activationBackward, activationForward, ACTIVATIONS } from '../activations.js';
import { type BackwardArgs, type ForwardArgs, INITIALIZERS, type Initializer, type Layer, shapeText, sizeOf, type TensorSpec } from './layer.js';

/** A size per spatial axis: one number for every axis, or one per axis ([kh, kw] for conv2d). */
export type ConvSize = number | readonly number[];

interface ConvOptions {
  filters: number;
  kernelSize: ConvSize;
  stride?: ConvSize;
  /** 'valid' (none), 'same' (torch's: output size = input size, stride 1 only), or n (per axis) on both sides. */
  padding?: 'valid' | 'same' | ConvSize;
  dilation?: ConvSize;
  activation?: Activation;
  useBias?: boolean;
  init?: Initializer;
}

export interface Conv2dLayerSpec extends ConvOptions {
  type: 'conv2d';
}

export interface Conv1dLayerSpec extends ConvOptions {
  type: 'conv1d';
}

const KEYS = ['type', 'filters', 'kernelSize', 'stride', 'padding', 'dilation', 'activation', 'useBias', 'init'];

/** The geometry of one axis: input and output length, kernel taps, stride, dilation, padding before and after. */
export interface Axis {
  input: number;
  output: number;
  kernel: number;
  stride: number;
  dilation: number;
  before: number;
  after: number;
}

/** `value` as one positive (or, with `min` 0, non-negative) integer per axis; `also` lists other accepted forms for the message. */
function perAxis(path: string, value: unknown, fallback: number | undefined, axes: number, min: 0 | 1, names: readonly string[] = []): number[] {
  const v = value === undefined ? fallback : value;
  const ok = (d: unknown) => typeof d === 'number' && Number.isInteger(d) && d >= min;
  if (ok(v)) return Array<number>(axes).fill(v as number);
  if (Array.isArray(v) && v.length === axes && v.every(ok)) return [...v] as number[];
  const kind = min === 1 ? 'positive integer' : 'non-negative integer';
  const array = axes === 2 ? `[height, width] of ${kind}s` : `[length], a ${kind}`;
  const also = names.map((name) => `'${name}', `).join('');
  throw new RangeError(`${path} must be ${also}a ${kind} or ${array}, got ${Array.isArray(v) ? shapeText(v) : describe(v)}${didYouMean(v, names)}`);
}

/** One member of `allowed`, by the spec's value at `path`. */
export class ConvLayer implements Layer {
  readonly inputSize: number;
  readonly outputShape: readonly number[];
  readonly outputSize: number;
  readonly tensors: TensorSpec[];
  readonly buffers: Record<string, number>;
  readonly label: string;
  readonly #channels: number;
  readonly #filters: number;
  /** [height, width]; conv1d's height axis is 1 long with a 1-tap kernel. */
  readonly #axes: readonly [Axis, Axis];

  constructor(
    readonly type: 'conv2d' | 'conv1d', readonly index: number, readonly inputShape: readonly number[], filters: number,
    axes: readonly Axis[], readonly activation: Activation, readonly useBias: boolean, init: Initializer,
  ) {
    const channels = inputShape.at(-1)!;
    const unit: Axis = { input: 1, output: 1, kernel: 1, stride: 1, dilation: 1, before: 0, after: 0 };
    this.#axes = axes.length === 2 ? [axes[0]!, axes[1]!] : [unit, axes[0]!];
    this.#channels = channels;
    this.#filters = filters;
    this.inputSize = sizeOf(inputShape);
    this.outputShape = [...axes.map((a) => a.output), filters];
    this.outputSize = sizeOf(this.outputShape);
    const kernel = axes.map((a) => a.kernel);
    const taps = sizeOf(kernel);
    // Keras' fans for a convolution kernel: receptive field × channels in, receptive field × filters out
    const [fanIn, fanOut] = [taps * channels, taps * filters];
    this.tensors = [{ name: 'weight', shape: [filters, channels, ...kernel], init, fanIn, fanOut, l1: 0, l2: 0 }];
    if (useBias) this.tensors.push({ name: 'bias', shape: [filters], init: init === 'torchDefault' ? init : 'zeros', fanIn, fanOut, l1: 0, l2: 0 });
    // the pre-activation z, kept for the backward pass (linear layers write z straight into out)
    this.buffers = activation === 'linear' ? {} : { z: this.outputSize };
    this.label = `${type}(${kernel.join('×')})`;
  }

  /** Checks a conv2d or conv1d spec at `path` over rows of `inputShape` ([H, W, C] or [T, C]). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): ConvLayer {
    knownKeys(path, spec, KEYS);
    const type = spec.type as 'conv2d' | 'conv1d';
    const axes = type === 'conv2d' ? 2 : 1;
    if (inputShape.length !== axes + 1) {
      const want = axes === 2 ? '[H, W, C] (channels-last)' : '[T, C] (channels-last)';
      // the first layer reads the spec's inputShape: say which field to change, and how
      const got = index === 0 ? `inputShape ${shapeText(inputShape)}` : `shape ${shapeText(inputShape)} from layers[${index - 1}]`;
      const fix = index === 0 && inputShape.length === axes ? `; for one channel, write inputShape: ${shapeText([...inputShape, 1])}` : '';
      throw new RangeError(`${path} (${type}) needs rows of shape ${want}, got ${got}${fix}`);
    }
    const filters = numberOption(`${path}.filters`, spec.filters, undefined, { min: 1, integer: true });
    const kernel = perAxis(`${path}.kernelSize`, spec.kernelSize, undefined, axes, 1);
    const stride = perAxis(`${path}.stride`, spec.stride, 1, axes, 1);
    const dilation = perAxis(`${path}.dilation`, spec.dilation, 1, axes, 1);
    const padding = spec.padding === 'valid' || spec.padding === 'same' ? spec.padding : perAxis(`${path}.padding`, spec.padding, 0, axes, 0, ['valid', 'same']);
    if (padding === 'same' && stride.some((s) => s !== 1)) {
      throw new RangeError(`${path}.padding 'same' needs stride 1 (as torch), got stride ${shapeText(stride)}; give the padding as a number instead`);
    }
    const geometry = kernel.map((taps, a): Axis => {
      const span = dilation[a]! * (taps - 1) + 1;
      // torch's 'same': the padding the kernel's span needs, the odd one on the far side
      const [before, after] = padding === 'same' ? [(span - 1) >> 1, (span - 1) - ((span - 1) >> 1)]
        : padding === 'valid' ? [0, 0] : [padding[a]!, padding[a]!];
      const input = inputShape[a]!;
      return { input, kernel: taps, stride: stride[a]!, dilation: dilation[a]!, before, after, output: Math.floor((input + before + after - span) / stride[a]!) + 1 };
    });
    const spans = geometry.map((g) => g.dilation * (g.kernel - 1) + 1);
    if (geometry.some((g, a) => spans[a]! > g.input + g.before + g.after)) {
      const sizes = (values: number[]) => values.join(' × ');
      throw new RangeError(
        `${path} (${type}): the kernel spans ${sizes(spans)} (kernelSize ${sizes(kernel)}, dilation ${sizes(dilation)}) ` +
        `but the padded input is ${sizes(geometry.map((g) => g.input + g.before + g.after))} (input ${sizes(geometry.map((g) => g.input))}, ` +
        `padding ${sizes(geometry.map((g) => g.before + g.after))} in all)`,
      );
    }
    const activation = choiceOption(`${path}.activation`, spec.activation ?? 'linear', ACTIVATIONS);
    const init = choiceOption(`${path}.init`, spec.init ?? 'glorotUniform', INITIALIZERS);
    return new ConvLayer(type, index, inputShape, filters, geometry, activation, booleanOption(`${path}.useBias`, spec.useBias, true), init);
  }

  /** The spatial axes as the spec has them ([height, width] for conv2d, [length] for conv1d), for exporters. */
  get axes(): readonly Axis[] {
    return this.type === 'conv2d' ? this.#axes : [this.#axes[1]];
  }

  gemmScratchFloats(k: KernelExports): number {
    const [h, w] = this.#axes;
    return k.conv_scratch_floats(this.#channels, this.#filters, h.kernel * w.kernel);
  }

  forward(k: KernelExports, { x, rows, out, buffers, params, gemmScratch }: ForwardArgs): void {
    const z = buffers.z ?? out;
    const [h, w] = this.#axes;
    k.conv2d_forward_f32(
      x, rows, h.input, w.input, this.#channels, h.output, w.output, this.#filters, h.kernel, w.kernel,
      h.stride, w.stride, h.dilation, w.dilation, h.before, w.before, params[0]!, this.useBias ? params[1]! : 0, z, gemmScratch,
    );
    if (z !== out) activationForward(k, this.activation, z, out, rows * h.output * w.output, this.#filters);
  }

  /** One multiply-add per weight per output position. */
  get multiplyAdds(): number {
    const [h, w] = this.#axes;
    return this.#filters * this.#channels * h.kernel * w.kernel * h.output * w.output;
  }

  backward(k: KernelExports, { x, rows, out, buffers, params, gemmScratch, dOut, dx, grads, trainable }: BackwardArgs): void {
    const [h, w] = this.#axes;
    const positions = rows * h.output * w.output;
    const z = buffers.z ?? out;
    activationBackward(k, this.activation, dOut, z, out, dOut, positions, this.#filters); // dOut becomes dZ
    if (trainable && this.useBias) k.column_sums_f32(dOut, positions, this.#filters, grads[1]!, false);
    if (!trainable && !dx) return;
    k.conv2d_backward_f32(
      x, rows, h.input, w.input, this.#channels, h.output, w.output, this.#filters, h.kernel, w.kernel,
      h.stride, w.stride, h.dilation, w.dilation, h.before, w.before, params[0]!, dOut, trainable ? grads[0]! : 0, dx, gemmScratch,
    );
  }

  onnx(g: Graph, [v]: readonly Value[], param: ParamConstant): Value {
    const x = g.channelsFirst(v!);
    const axes = this.axes;
    const inputs = [x.name, param('weight'), ...(this.useBias ? [param('bias')] : [])];
    const out = g.op('Conv', inputs, {
      kernel_shape: axes.map((a) => a.kernel), strides: axes.map((a) => a.stride), dilations: axes.map((a) => a.dilation),
      pads: [...axes.map((a) => a.before), ...axes.map((a) => a.after)],
    });
    return g.activation({ name: out, rank: this.outputShape.length + 1, layout: 'first' }, this.activation);
  }
}
