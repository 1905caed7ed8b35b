// exportOnnx: a trained model as an ONNX inference graph (opset 17) that takes what predict() takes —
// rows of descent's channels-last layout, `x` [N, inputSize] floats (or [N, T] int32 token ids) —
// and gives what predict() gives, `y` [N, outputs]: the normalisation of `normalize: true` first
// (in float64, as descent's kernel), and the loss's output activation last (softmax, sigmoid) unless
// `{ raw: true }`. Convolutions and pools run channels-first, as ONNX defines them: the graph
// transposes where a layer needs the other layout, not around every layer. Weights keep torch's
// layouts, which are ONNX's (Gemm with transB, Conv's [out, in, kh, kw]).

import { checkpointSpec, readNormalization } from '../io/checkpoint.js';
import { decodeSafetensors, tensorToFloat32 } from '../io/safetensors.js';
import type { Activation } from '../model/activations.js';
import { BatchNormLayer, ConvLayer, DenseLayer, EmbeddingLayer, LayerNormLayer, PoolLayer } from '../model/layers/index.js';
import type { Layer } from '../model/layers/layer.js';
import type { FlattenLayer } from '../model/layers/flatten.js';
import { type Model, modelFromSpec } from '../model/spec.js';
import { booleanOption, describe, knownKeys, plainObject } from '../validate.js';
import { type AttributeValue, DOUBLE, FLOAT, INT32, type Message, model as modelProto, node, tensor, valueInfo } from './onnx-proto.js';

export const ONNX_OPSET = 17;
/** The IR version that opset 17 came with (ONNX 1.12). */
const IR_VERSION = 8;

export interface ExportOnnxOptions {
  /** true: the graph's output is the network's raw output, without the loss's softmax / sigmoid (predict's { raw: true }). */
  raw?: boolean;
}

/** What exportOnnx reads: a trainer (in a worker or not), or checkpoint bytes from save(). */
export type OnnxSource = { save(): Promise<Uint8Array> } | Uint8Array;

/** An ONNX model (opset 17) for inference with the source's weights, normalisation and predict's output activation. */
export async function exportOnnx(source: OnnxSource, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const o = plainObject('options', options);
  knownKeys('exportOnnx options', o, ['raw']);
  const raw = booleanOption('raw', o.raw, false);
  if (!(source instanceof Uint8Array) && typeof (source as { save?: unknown } | null)?.save !== 'function') {
    throw new TypeError(`exportOnnx needs a trainer (with save()) or checkpoint bytes, got ${describe(source)}`);
  }
  const bytes = source instanceof Uint8Array ? source : await source.save();
  const model = modelFromSpec(checkpointSpec(bytes));
  const file = decodeSafetensors(bytes);
  const weight = (name: string, length: number): Float32Array => {
    const entry = file.tensors.get(name);
    if (!entry) throw new RangeError(`checkpoint is missing tensor ${JSON.stringify(name)}`);
    const values = tensorToFloat32(name, entry);
    if (values.length !== length) throw new RangeError(`tensor ${JSON.stringify(name)} must have ${length} values, got ${values.length}`);
    return values;
  };
  return buildGraph(model, weight, readNormalization(file, model), raw);
}

/** A value of the graph: its name, rank (with the batch axis) and where its channels are. */
interface Value {
  name: string;
  rank: number;
  layout: 'last' | 'first';
}

class Graph {
  readonly nodes: Message[] = [];
  readonly initializers: Message[] = [];
  #count = 0;

  constant(name: string, dims: readonly number[], values: Float32Array | Float64Array | { int64: readonly number[] }): string {
    this.initializers.push(tensor(name, dims, values));
    return name;
  }

  op(op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const name = output ?? `${op.toLowerCase()}_${this.#count}`;
    this.nodes.push(node(op, inputs, [name], `${op}_${this.#count++}`, attributes));
    return name;
  }

  /** v with its channels moved to axis 1 (ONNX's Conv, pools, BatchNormalization). */
  channelsFirst(v: Value): Value {
    if (v.rank <= 2 || v.layout === 'first') return v;
    return { ...v, name: this.op('Transpose', [v.name], { perm: v.rank === 3 ? [0, 2, 1] : [0, 3, 1, 2] }), layout: 'first' };
  }

  /** v with its channels last again (descent's layout: flatten order, last-axis ops). */
  channelsLast(v: Value): Value {
    if (v.rank <= 2 || v.layout === 'last') return v;
    return { ...v, name: this.op('Transpose', [v.name], { perm: v.rank === 3 ? [0, 2, 1] : [0, 2, 3, 1] }), layout: 'last' };
  }

  activation(v: Value, activation: Activation | 'softmax' | 'sigmoid'): Value {
    switch (activation) {
      case 'linear': return v;
      case 'relu': return { ...v, name: this.op('Relu', [v.name]) };
      case 'leaky_relu': return { ...v, name: this.op('LeakyRelu', [v.name], { alpha: { float: 0.01 } }) };
      case 'sigmoid': return { ...v, name: this.op('Sigmoid', [v.name]) };
      case 'tanh': return { ...v, name: this.op('Tanh', [v.name]) };
      case 'gelu': {
        // exact GELU, x · ½(1 + erf(x / √2)) (the Gelu op needs opset 20)
        const sqrt2 = this.constant(`gelu_sqrt2_${this.#count}`, [], Float32Array.of(Math.SQRT2));
        const one = this.constant(`gelu_one_${this.#count}`, [], Float32Array.of(1));
        const half = this.constant(`gelu_half_${this.#count}`, [], Float32Array.of(0.5));
        const erf = this.op('Erf', [this.op('Div', [v.name, sqrt2])]);
        return { ...v, name: this.op('Mul', [this.op('Mul', [v.name, this.op('Add', [erf, one])]), half]) };
      }
      case 'softmax':
      case 'log_softmax': {
        const last = this.channelsLast(v);
        return { ...last, name: this.op(activation === 'softmax' ? 'Softmax' : 'LogSoftmax', [last.name], { axis: -1 }) };
      }
    }
  }
}

function buildGraph(
  model: Model, weight: (name: string, length: number) => Float32Array, normalization: { mean: Float64Array; std: Float64Array } | null, raw: boolean,
): Uint8Array {
  const g = new Graph();
  const ids = model.inputKind === 'index';
  const input = valueInfo('x', ids ? INT32 : FLOAT, ['N', model.inputSize]);
  let v: Value = { name: 'x', rank: 2, layout: 'last' };
  if (normalization) {
    // descent standardises in float64 with float64 statistics and rounds once: the same here
    const mean = g.constant('normalize_mean', [model.inputSize], normalization.mean);
    const std = g.constant('normalize_std', [model.inputSize], normalization.std);
    const standard = g.op('Div', [g.op('Sub', [g.op('Cast', ['x'], { to: DOUBLE }), mean]), std]);
    v = { ...v, name: g.op('Cast', [standard], { to: FLOAT }) };
  }
  if (model.inputShape.length > 1) {
    const shape = g.constant('input_shape', [model.inputShape.length + 1], { int64: [-1, ...model.inputShape] });
    v = { name: g.op('Reshape', [v.name, shape]), rank: model.inputShape.length + 1, layout: 'last' };
  }
  for (const layer of model.layers) v = addLayer(g, v, layer, weight);
  v = g.channelsLast(v);
  const activation = raw ? undefined : model.lossRecord.predict;
  if (activation) v = g.activation(v, activation);
  g.op('Identity', [v.name], {}, 'y');
  const doc = `descent ${model.layers.map((l) => l.label).join(' → ')}; x: [N, ${model.inputSize}] ${ids ? 'int32 token ids' : 'float rows, channels-last'}` +
    ` (as predict takes them); y: [N, ${model.outputs}]${activation ? ` (${activation})` : ''}`;
  return modelProto(
    { name: 'descent', nodes: g.nodes, initializers: g.initializers, inputs: [input], outputs: [valueInfo('y', FLOAT, ['N', model.outputs])], doc },
    ONNX_OPSET, IR_VERSION, 'descent-wasm',
  );
}

/** The layer's tensor `name` as a graph constant of `dims` (torch's shape unless given). */
function param(g: Graph, layer: Layer, name: string, weight: (name: string, length: number) => Float32Array, dims?: readonly number[]): string {
  const spec = [...layer.tensors, ...(layer.states ?? [])].find((t) => t.name === name)!;
  const shape = dims ?? spec.shape;
  return g.constant(`${layer.index}.${name}`, shape, weight(`${layer.index}.${name}`, shape.reduce((a, b) => a * b, 1)));
}

function addLayer(g: Graph, v: Value, layer: Layer, weight: (name: string, length: number) => Float32Array): Value {
  const rank = layer.outputShape.length + 1;
  if (layer instanceof DenseLayer) {
    const inputs = [v.name, param(g, layer, 'weight', weight), ...(layer.useBias ? [param(g, layer, 'bias', weight)] : [])];
    return g.activation({ name: g.op('Gemm', inputs, { transB: 1 }), rank: 2, layout: 'last' }, layer.activation);
  }
  if (layer instanceof ConvLayer) {
    const x = g.channelsFirst(v);
    const axes = layer.axes;
    const inputs = [x.name, param(g, layer, 'weight', weight), ...(layer.useBias ? [param(g, layer, 'bias', weight)] : [])];
    const out = g.op('Conv', inputs, {
      kernel_shape: axes.map((a) => a.kernel), strides: axes.map((a) => a.stride), dilations: axes.map((a) => a.dilation),
      pads: [...axes.map((a) => a.before), ...axes.map((a) => a.after)],
    });
    return g.activation({ name: out, rank, layout: 'first' }, layer.activation);
  }
  if (layer instanceof PoolLayer) {
    const x = g.channelsFirst(v);
    const { kh, kw, sh, sw, ph, pw } = layer.geometry;
    const two = layer.type.endsWith('2d');
    const attributes: Record<string, AttributeValue> = {
      kernel_shape: two ? [kh, kw] : [kw], strides: two ? [sh, sw] : [sw], pads: two ? [ph, pw, ph, pw] : [pw, pw],
    };
    const max = layer.type.startsWith('max');
    // torch's average pool divides by the whole window, padding included
    const out = g.op(max ? 'MaxPool' : 'AveragePool', [x.name], max ? attributes : { ...attributes, count_include_pad: 1 });
    return { name: out, rank, layout: 'first' };
  }
  if (layer instanceof EmbeddingLayer) {
    return { name: g.op('Gather', [param(g, layer, 'weight', weight), v.name], { axis: 0 }), rank, layout: 'last' };
  }
  if (layer instanceof LayerNormLayer) {
    const x = g.channelsLast(v);
    const inputs = [x.name, param(g, layer, 'weight', weight), param(g, layer, 'bias', weight)];
    return { ...x, name: g.op('LayerNormalization', inputs, { axis: -1, epsilon: { float: layer.eps } }) };
  }
  if (layer instanceof BatchNormLayer) {
    const x = g.channelsFirst(v);
    const inputs = [x.name, ...['weight', 'bias', 'running_mean', 'running_var'].map((name) => param(g, layer, name, weight))];
    return { ...x, name: g.op('BatchNormalization', inputs, { epsilon: { float: layer.eps } }) };
  }
  switch (layer.type) {
    case 'dropout':
      return v;
    case 'activation':
      return g.activation(v, layer.activation as Activation);
    case 'flatten': {
      // channelsFirst: torch's nn.Flatten of NCHW, (C, H, W) order
      const x = (layer as FlattenLayer).dataFormat === 'channelsFirst' ? g.channelsFirst(v) : g.channelsLast(v);
      return { name: g.op('Flatten', [x.name], { axis: 1 }), rank: 2, layout: 'last' };
    }
    case 'globalavgpool': {
      if (v.layout === 'first') {
        return { name: g.op('Flatten', [g.op('GlobalAveragePool', [v.name])], { axis: 1 }), rank: 2, layout: 'last' };
      }
      const spatial = Array.from({ length: v.rank - 2 }, (_x, i) => i + 1);
      return { name: g.op('ReduceMean', [v.name], { axes: spatial, keepdims: 0 }), rank: 2, layout: 'last' };
    }
    default:
      throw new RangeError(`layers[${layer.index}] (${layer.type}) has no ONNX export`);
  }
}
