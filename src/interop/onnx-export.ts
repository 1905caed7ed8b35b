// exportOnnx: a trained model as an ONNX inference graph (opset 17) that takes what predict() takes —
// rows of descent's channels-last layout, `x` [N, inputSize] floats (or [N, T] int32 token ids) —
// and gives what predict() gives, `y` [N, outputs] ([N, T, K] for a sequence output): the normalisation of `normalize: true` first
// (in float64, as descent's kernel), and the loss's output activation last (softmax, sigmoid) unless
// `{ raw: true }`. Convolutions and pools run channels-first, as ONNX defines them: the graph
// transposes where a layer needs the other layout, not around every layer. Weights keep torch's
// layouts, which are ONNX's (Gemm with transB, Conv's [out, in, kh, kw]); lstm and gru run ONNX's
// LSTM / GRU time-major, their gate blocks reordered by a Gather in the graph; attention is MatMul /
// Softmax (its causal mask a constant), positionEmbedding an Add, dense over [T, n] a MatMul per position.

import { checkpointSpec, readNormalization } from '../io/checkpoint.js';
import { decodeSafetensors, tensorToFloat32 } from '../io/safetensors.js';
import type { Layer } from '../model/layers/layer.js';
import { type Model, modelFromSpec } from '../model/spec.js';
import { booleanOption, describe, knownKeys, plainObject } from '../validate.js';
import { Graph, type Value } from './onnx-graph.js';
import { DOUBLE, FLOAT, INT32, model as modelProto, valueInfo } from './onnx-proto.js';

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
  // the entries in order, each value kept by index (the model input: -1)
  const values: Value[] = [];
  model.layers.forEach((layer, l) => {
    values.push(layer.onnx(g, model.inputs[l]!.map((j) => (j < 0 ? v : values[j]!)), (name, dims) => param(g, layer, name, weight, dims)));
  });
  v = values.at(-1)!;
  v = g.channelsLast(v);
  const activation = raw ? undefined : model.lossRecord.predict;
  if (activation) v = g.activation(v, activation);
  g.op('Identity', [v.name], {}, 'y');
  // a sequence output [T, K] is y [N, T, K], as predict gives it (the loss's softmax per position)
  const outShape = model.positions > 1 || model.layers.at(-1)!.outputShape.length === 2 ? [model.positions, model.classes] : [model.outputs];
  const doc = `descent ${model.layers.map((l) => l.label).join(' → ')}; x: [N, ${model.inputSize}] ${ids ? 'int32 token ids' : 'float rows, channels-last'}` +
    ` (as predict takes them); y: [N, ${outShape.join(', ')}]${activation ? ` (${activation})` : ''}`;
  return modelProto(
    { name: 'descent', nodes: g.nodes, initializers: g.initializers, inputs: [input], outputs: [valueInfo('y', FLOAT, ['N', ...outShape])], doc },
    ONNX_OPSET, IR_VERSION, 'descent-wasm',
  );
}

/** The layer's tensor `name` as a graph constant of `dims` (torch's shape unless given). */
function param(g: Graph, layer: Layer, name: string, weight: (name: string, length: number) => Float32Array, dims?: readonly number[]): string {
  const spec = [...layer.tensors, ...(layer.states ?? [])].find((t) => t.name === name)!;
  const shape = dims ?? spec.shape;
  return g.constant(`${layer.index}.${name}`, shape, weight(`${layer.index}.${name}`, shape.reduce((a, b) => a * b, 1)));
}
