// One tfjs (Keras) layer config → one descent layer spec, with where each of its tensors comes from:
// the tfjs weight (`{layer name}/kernel`, …) and the axis order that turns tfjs's layout into torch's
// (Dense kernel [in, out] → weight [out, in]; Conv2D [kh, kw, in, out] → [out, in, kh, kw]; Conv1D
// [k, in, out] → [out, in, k]). Keras's options are mapped exactly where descent has them — its
// 'same' padding, epsilons, BatchNormalization momentum (Keras' decay m is torch's 1 − m) — and refused
// with an error naming the option where it has no equivalent, so an imported model predicts as it did.
// LSTM and GRU (gate blocks reordered, Keras' reset_after) are tfjs-recurrent.ts.

import type { Activation } from '../model/activations.js';
import type { LayerSpec } from '../model/layers/index.js';
import { describe, notOneOf, oneOf } from '../validate.js';
import { activationName, type MappedLayer, option, type TensorSource } from './tfjs-config.js';
import { recurrentLayer } from './tfjs-recurrent.js';

export type { MappedLayer, TensorSource };

export const SUPPORTED_CLASSES = [
  'InputLayer', 'Dense', 'Dropout', 'Activation', 'ReLU', 'LeakyReLU', 'Softmax', 'Flatten', 'Conv1D', 'Conv2D',
  'MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D', 'AveragePooling2D', 'GlobalAveragePooling1D',
  'GlobalAveragePooling2D', 'Embedding', 'BatchNormalization', 'LayerNormalization', 'LSTM', 'GRU',
] as const;

const ACTIVATION_NAMES: Record<string, Activation> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', gelu: 'gelu',
  logSoftmax: 'log_softmax', log_softmax: 'log_softmax',
};

/** A Keras activation name as descent's, or an error listing the ones that map. */
export function activationOf(where: string, value: unknown): Activation {
  if (value === undefined || value === null) return 'linear';
  const name = activationName(value);
  if (typeof name === 'string' && Object.hasOwn(ACTIVATION_NAMES, name)) return ACTIVATION_NAMES[name]!;
  throw notOneOf(`${where} activation`, name, Object.keys(ACTIVATION_NAMES), `${oneOf(Object.keys(ACTIVATION_NAMES))} to import`);
}

/** A size per spatial axis from a Keras value (n or [n, …]). */
function sizes(where: string, key: string, value: unknown, axes: number): number[] {
  const list = typeof value === 'number' ? Array<number>(axes).fill(value) : value;
  if (!Array.isArray(list) || list.length !== axes || !list.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${where} ${key} must be ${axes} positive integer(s), got ${Array.isArray(value) ? JSON.stringify(value) : describe(value)}`);
  }
  return list as number[];
}

/**
 * Keras' 'same' padding (output ⌈in / stride⌉, the odd pixel after) as descent's symmetric padding
 * per axis, when the windows it gives are the same; null when they are not.
 */
function samePadding(input: readonly number[], span: readonly number[], stride: readonly number[]): number[] | null {
  const pads: number[] = [];
  for (let a = 0; a < input.length; a++) {
    const out = Math.ceil(input[a]! / stride[a]!);
    const total = Math.max((out - 1) * stride[a]! + span[a]! - input[a]!, 0);
    const before = Math.floor(total / 2);
    // a symmetric pad of `before` gives the same windows when it gives as many of them
    if (Math.floor((input[a]! + 2 * before - span[a]!) / stride[a]!) + 1 !== out) return null;
    pads.push(before);
  }
  return pads;
}

function channelsLast(where: string, config: Record<string, unknown>): void {
  const format = option(config, 'data_format');
  if (format !== undefined && format !== null && format !== 'channels_last') {
    throw new RangeError(`${where} data_format must be 'channels_last' (descent's layout), got ${describe(format)}`);
  }
}

/** Maps layer config `config` of class `className` over rows of `inputShape` (channels-last, without the batch axis). */
export function mapLayer(where: string, className: string, config: Record<string, unknown>, inputShape: readonly number[]): MappedLayer {
  const notes: string[] = [];
  const spatial = inputShape.slice(0, -1);
  switch (className) {
    case 'InputLayer':
      return { spec: null, tensors: {}, notes };
    case 'Dense': {
      const useBias = option(config, 'use_bias') !== false;
      const spec: LayerSpec = { units: option(config, 'units') as number, activation: activationOf(where, option(config, 'activation')), useBias };
      const penalty = option(config, 'kernel_regularizer') as { config?: { l1?: unknown; l2?: unknown } } | null | undefined;
      if (penalty) {
        const { l1 = 0, l2 = 0 } = penalty.config ?? {};
        Object.assign(spec, { ...(l1 ? { l1 } : {}), ...(l2 ? { l2 } : {}) });
      }
      if (option(config, 'bias_regularizer') || option(config, 'activity_regularizer')) notes.push(`${where}: bias and activity regularizers are not imported`);
      const tensors: Record<string, TensorSource> = { weight: { weight: 'kernel', perm: [1, 0] } };
      if (useBias) tensors.bias = { weight: 'bias' };
      return { spec, tensors, notes };
    }
    case 'Dropout': {
      if (option(config, 'noise_shape')) notes.push(`${where}: noise_shape is not imported (descent drops each value on its own)`);
      return { spec: { type: 'dropout', rate: option(config, 'rate') as number }, tensors: {}, notes };
    }
    case 'Activation':
      return { spec: { type: 'activation', activation: activationOf(where, option(config, 'activation')) }, tensors: {}, notes };
    case 'Softmax': {
      const axis = option(config, 'axis') ?? -1;
      if (axis !== -1 && axis !== inputShape.length) throw new RangeError(`${where} axis must be -1 (the last axis) to import, got ${describe(axis)}`);
      return { spec: { type: 'activation', activation: 'softmax' }, tensors: {}, notes };
    }
    case 'ReLU': {
      const [max, slope, threshold] = ['max_value', 'negative_slope', 'threshold'].map((k) => option(config, k));
      if ((max !== undefined && max !== null) || (slope ?? 0) !== 0 || (threshold ?? 0) !== 0) {
        throw new RangeError(`${where} imports only as a plain relu: max_value null, negative_slope 0, threshold 0; got ${describe(max)}, ${describe(slope)}, ${describe(threshold)}`);
      }
      return { spec: { type: 'activation', activation: 'relu' }, tensors: {}, notes };
    }
    case 'LeakyReLU': {
      // Keras' default slope is 0.3, descent's leaky_relu has torch's 0.01
      const alpha = option(config, 'alpha') ?? option(config, 'negative_slope') ?? 0.3;
      if (Math.abs((alpha as number) - 0.01) > 1e-9) throw new RangeError(`${where} alpha must be 0.01 (descent's leaky_relu slope), got ${describe(alpha)}`);
      return { spec: { type: 'activation', activation: 'leaky_relu' }, tensors: {}, notes };
    }
    case 'Flatten':
      channelsLast(where, config);
      return { spec: { type: 'flatten' }, tensors: {}, notes };
    case 'Conv1D':
    case 'Conv2D': {
      channelsLast(where, config);
      const axes = className === 'Conv2D' ? 2 : 1;
      const kernel = sizes(where, 'kernel_size', option(config, 'kernel_size'), axes);
      const stride = sizes(where, 'strides', option(config, 'strides') ?? 1, axes);
      const dilation = sizes(where, 'dilation_rate', option(config, 'dilation_rate') ?? 1, axes);
      const groups = option(config, 'groups') ?? 1;
      if (groups !== 1) throw new RangeError(`${where} groups must be 1 (descent has no grouped convolution), got ${describe(groups)}`);
      const useBias = option(config, 'use_bias') !== false;
      const padding = convPadding(where, option(config, 'padding'), spatial, kernel.map((k, a) => dilation[a]! * (k - 1) + 1), stride);
      const spec: LayerSpec = {
        type: className === 'Conv2D' ? 'conv2d' : 'conv1d', filters: option(config, 'filters') as number, kernelSize: kernel, stride,
        dilation, padding, activation: activationOf(where, option(config, 'activation')), useBias,
      };
      const tensors: Record<string, TensorSource> = { weight: { weight: 'kernel', perm: axes === 2 ? [3, 2, 0, 1] : [2, 1, 0] } };
      if (useBias) tensors.bias = { weight: 'bias' };
      return { spec, tensors, notes };
    }
    case 'MaxPooling1D':
    case 'MaxPooling2D':
    case 'AveragePooling1D':
    case 'AveragePooling2D': {
      channelsLast(where, config);
      const axes = className.endsWith('2D') ? 2 : 1;
      const pool = sizes(where, 'pool_size', option(config, 'pool_size') ?? 2, axes);
      const stride = sizes(where, 'strides', option(config, 'strides') ?? pool, axes);
      const max = className.startsWith('Max');
      const padding = poolPadding(where, option(config, 'padding'), spatial, pool, stride, max);
      const type = `${max ? 'max' : 'avg'}pool${axes}d` as 'maxpool2d';
      return { spec: { type, poolSize: pool, stride, ...(padding ? { padding } : {}) }, tensors: {}, notes };
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalAveragePooling2D':
      channelsLast(where, config);
      if (option(config, 'keepdims') === true) throw new RangeError(`${where} keepdims must be false to import, got true`);
      return { spec: { type: 'globalavgpool' }, tensors: {}, notes };
    case 'Embedding': {
      if (option(config, 'mask_zero') === true) {
        throw new RangeError(`${where} mask_zero must be false to import: descent has no masks (layers after it would average the padding in)`);
      }
      const spec: LayerSpec = { type: 'embedding', vocabSize: option(config, 'input_dim') as number, units: option(config, 'output_dim') as number };
      return { spec, tensors: { weight: { weight: 'embeddings' } }, notes };
    }
    case 'BatchNormalization':
    case 'LayerNormalization': {
      const axis = option(config, 'axis') ?? -1;
      const last = (a: unknown) => a === -1 || a === inputShape.length;
      if (!(last(axis) || (Array.isArray(axis) && axis.length === 1 && last(axis[0])))) {
        throw new RangeError(`${where} axis must be -1 (the channels, last) to import, got ${JSON.stringify(axis)}`);
      }
      const eps = (option(config, 'epsilon') ?? 1e-3) as number;
      const tensors: Record<string, TensorSource> = {
        weight: option(config, 'scale') === false ? { fill: 1 } : { weight: 'gamma' },
        bias: option(config, 'center') === false ? { fill: 0 } : { weight: 'beta' },
      };
      if (option(config, 'scale') === false || option(config, 'center') === false) {
        notes.push(`${where}: scale or center off in Keras; descent trains the weight (ones) and bias (zeros) it puts in their place`);
      }
      if (className === 'LayerNormalization') return { spec: { type: 'layernorm', eps }, tensors, notes };
      tensors.running_mean = { weight: 'moving_mean' };
      tensors.running_var = { weight: 'moving_variance' };
      notes.push(`${where}: descent moves the running variance with the unbiased batch variance (torch), tfjs with the biased one`);
      // Keras' momentum is the running statistics' decay; torch's is the weight of the batch
      const momentum = 1 - ((option(config, 'momentum') ?? 0.99) as number);
      return { spec: { type: 'batchnorm', momentum, eps }, tensors, notes };
    }
    case 'LSTM':
    case 'GRU':
      return recurrentLayer(where, className, config);
    default:
      throw new RangeError(`${where} is not supported: descent imports ${SUPPORTED_CLASSES.join(', ')}`);
  }
}

const PADDINGS = ['valid', 'same'];

function convPadding(where: string, padding: unknown, input: readonly number[], span: number[], stride: number[]): 'valid' | 'same' | number[] {
  if (padding === undefined || padding === 'valid') return 'valid';
  if (padding !== 'same') throw notOneOf(`${where} padding`, padding, PADDINGS, `${oneOf(PADDINGS)} to import`);
  // stride 1: Keras' 'same' is torch's, which descent has
  if (stride.every((s) => s === 1)) return 'same';
  const pads = samePadding(input, span, stride);
  if (!pads) throw new RangeError(`${where} padding 'same' with strides ${JSON.stringify(stride)} pads one side more than the other here (input ${JSON.stringify(input)}); descent pads both sides alike`);
  return pads;
}

function poolPadding(where: string, padding: unknown, input: readonly number[], pool: number[], stride: number[], max: boolean): number[] | null {
  if (padding === undefined || padding === 'valid') return null;
  if (padding !== 'same') throw notOneOf(`${where} padding`, padding, PADDINGS, `${oneOf(PADDINGS)} to import`);
  const pads = samePadding(input, pool, stride);
  if (!pads) throw new RangeError(`${where} padding 'same' pads one side more than the other here (input ${JSON.stringify(input)}); descent pads both sides alike`);
  if (pads.every((p) => p === 0)) return null;
  // tfjs' average pool leaves the padding out of the mean; descent's (torch's default) counts it
  if (!max) throw new RangeError(`${where} padding 'same' pads the input ${JSON.stringify(input)} here, and tfjs averages without the padding while descent counts it; use 'valid' or a size the pool divides`);
  return pads;
}
