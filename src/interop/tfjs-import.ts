// importTfjsModel: a tfjs LayersModel (model.json + weight bytes, what tf.io handlers save, or a
// browser storage URL) as a descent spec and weights by checkpoint name, for
// `createTrainer(spec)` + `setWeights(weights)`. Sequential models of the layers descent has
// (tfjs-layers.ts), and functional ones (inbound_nodes) of those plus Add and Concatenate: each
// layer becomes an entry named as in tfjs, reading its inputs by name; every other layer is an
// error naming it. A layer saved with trainable: false imports frozen. Everything is checked before a weight
// value is read: the spec as createTrainer would check it, each weight's shape against the spec's
// tensors, and the weight bytes against the specs (tfjs-weights.ts).

import { modelFromSpec, type TrainerSpec } from '../model/spec.js';
import { layerFromSpec, type LayerSpec } from '../model/layers/index.js';
import { describe, plainObject } from '../validate.js';
import { mapLayer, type TensorSource } from './tfjs-layers.js';
import { loadFromBrowserStorage } from './tfjs-storage.js';
import { mapTraining } from './tfjs-training.js';
import { permute, readWeight, type TfjsWeight, weightPlaces } from './tfjs-weights.js';

export interface TfjsImport {
  spec: TrainerSpec;
  /** By checkpoint name (`{i}.weight` in torch's layout, `{i}.bias`, `{i}.running_mean`, …), for setWeights. */
  weights: Record<string, Float32Array>;
  /** What the import could not keep as it was (training details; the predictions are kept exactly). */
  notes: string[];
}

/** What tfjs's IO handlers give (ModelArtifacts), or a model.json file's contents. */
interface Artifacts {
  modelTopology: unknown;
  weightSpecs: unknown;
  trainingConfig: unknown;
  weightData: unknown;
}

/**
 * A tfjs LayersModel as descent's spec and weights. `modelJson`: model.json's text or object (its
 * `weightsManifest` lists the weights), tfjs ModelArtifacts (`weightSpecs`, and `weightData` unless
 * given), or in a browser 'indexeddb://name' / 'localstorage://name' (tfjs's own storage). `weightData`:
 * the weight bytes (ArrayBuffer, a typed array, or the manifest's files in order as an array).
 */
export async function importTfjsModel(modelJson: unknown, weightData?: unknown): Promise<TfjsImport> {
  const artifacts = typeof modelJson === 'string' && /^(indexeddb|localstorage):\/\//.test(modelJson)
    ? await loadFromBrowserStorage(modelJson)
    : artifactsOf(modelJson, weightData);
  return importArtifacts(artifacts);
}

function artifactsOf(modelJson: unknown, weightData: unknown): Artifacts {
  let json = modelJson;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (error) {
      throw new TypeError(`modelJson is not valid JSON: ${(error as Error).message}`);
    }
  }
  const m = plainObject('modelJson', json);
  if (m.modelTopology === undefined) throw new TypeError('modelJson must have modelTopology (a tfjs model.json or ModelArtifacts)');
  let weightSpecs = m.weightSpecs;
  if (weightSpecs === undefined) {
    if (!Array.isArray(m.weightsManifest)) throw new TypeError(`modelJson must have weightsManifest or weightSpecs, got ${describe(m.weightsManifest)}`);
    weightSpecs = m.weightsManifest.flatMap((group: unknown, i) => {
      const weights = plainObject(`weightsManifest[${i}]`, group).weights;
      if (!Array.isArray(weights)) throw new TypeError(`weightsManifest[${i}].weights must be an array, got ${describe(weights)}`);
      return weights;
    });
  }
  return { modelTopology: m.modelTopology, weightSpecs, trainingConfig: m.trainingConfig, weightData: weightData ?? m.weightData };
}

/** The weight bytes as one Uint8Array (an array of buffers is joined in order). */
function bytesOf(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((d) => d instanceof ArrayBuffer || ArrayBuffer.isView(d))) {
    const parts = data.map(bytesOf);
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.byteLength), 0);
    return joined;
  }
  throw new TypeError(`weightData must be an ArrayBuffer, a typed array or an array of them (the weight files in manifest order), got ${describe(data)}`);
}

interface Source {
  /** Where errors point: `model.json layers[3] (Conv2D "conv2d_1")`. */
  where: string;
  layerName: string;
  tensors: Record<string, TensorSource>;
}

function importArtifacts(artifacts: Artifacts): TfjsImport {
  const data = bytesOf(artifacts.weightData);
  const places = weightPlaces(artifacts.weightSpecs, data.byteLength);
  const topology = plainObject('modelTopology', artifacts.modelTopology);
  // Keras' converter nests the model under model_config, beside its training_config
  const model = plainObject('modelTopology', topology.model_config ?? topology);
  const functional = model.class_name === 'Model' || model.class_name === 'Functional';
  if (!functional && model.class_name !== 'Sequential') {
    throw new RangeError(`only Sequential and functional (Model) models import, got class_name ${describe(model.class_name)}`);
  }
  const config = plainObject('modelTopology.config', model.config);
  // tfjs and Keras 2 write { layers: [...] }; Keras 1 the array itself
  const layerConfigs = Array.isArray(config.layers) ? config.layers : Array.isArray(model.config) ? model.config : null;
  if (!layerConfigs || layerConfigs.length === 0) throw new RangeError('modelTopology.config.layers must be a non-empty array of layers');

  const specs: LayerSpec[] = [];
  const sources: Source[] = [];
  const notes: string[] = [];
  const shapes: (readonly number[])[] = [];
  let inputShape: number[] | null = null;
  /** Per tfjs layer name: the descent entry that gives its output (its index, -1: the model input). */
  const entryOf = new Map<string, number>();
  const entryName = (j: number) => (j < 0 ? 'input' : (specs[j] as { name?: string }).name ?? `layers[${j}]`);
  layerConfigs.forEach((raw, i) => {
    const layer = plainObject(`model.json layers[${i}]`, raw);
    const className = typeof layer.class_name === 'string' ? layer.class_name : describe(layer.class_name);
    const layerConfig = plainObject(`model.json layers[${i}].config`, layer.config);
    const layerName = typeof layerConfig.name === 'string' ? layerConfig.name : typeof layer.name === 'string' ? layer.name : '';
    const where = `model.json layers[${i}] (${className}${layerName ? ` ${JSON.stringify(layerName)}` : ''})`;
    if (!inputShape && (!functional || className === 'InputLayer')) inputShape = inputShapeOf(where, layerConfig);
    // a Sequential model is a chain; a functional one names each layer's inputs (inbound_nodes)
    const reads = functional ? inboundOf(where, layer).map((name) => {
      const j = entryOf.get(name);
      if (j === undefined) throw new RangeError(`${where} reads ${JSON.stringify(name)}, which is not a layer before it in model.json`);
      return j;
    }) : [specs.length - 1];
    if (className === 'InputLayer') {
      if (functional && entryOf.size > 0) throw new RangeError(`${where}: only models with one input import`);
      entryOf.set(layerName, -1);
      return;
    }
    if (!inputShape) throw new RangeError(`${where} comes before the model's InputLayer`);
    const inShapes = reads.map((j) => (j < 0 ? inputShape! : shapes[j]!));
    const mapped = className === 'Add' || className === 'Concatenate' ? mergeLayer(where, className, layerConfig, inShapes) : mapLayer(where, className, layerConfig, inShapes[0]!);
    notes.push(...mapped.notes);
    if (!mapped.spec) {
      entryOf.set(layerName, reads[0]!);
      return;
    }
    const spec = { ...mapped.spec } as LayerSpec;
    if (functional) Object.assign(spec, { name: layerName, inputs: reads.map(entryName) });
    if (layerConfig.trainable === false) Object.assign(spec, { trainable: false });
    // each layer checked as createTrainer will, with the tfjs layer named (its output shape feeds the next)
    try {
      shapes.push(layerFromSpec(mapped.spec as unknown as Record<string, unknown>, `layers[${specs.length}]`, specs.length, inShapes, reads.map(entryName)).outputShape);
    } catch (error) {
      const Kind = error instanceof TypeError ? TypeError : RangeError;
      throw new Kind(`${where} maps to a descent layer it cannot be: ${(error as Error).message}`);
    }
    entryOf.set(layerName, specs.length);
    specs.push(spec);
    sources.push({ where, layerName, tensors: mapped.tensors });
  });
  if (functional) checkOutput(config, entryOf, specs.length);

  if (specs.length === 0) throw new RangeError('model.json has no layers but InputLayer');
  const lastSpec = specs.at(-1)! as { activation?: unknown; type?: string };
  const training = mapTraining(artifacts.trainingConfig ?? topology.training_config, String(lastSpec.activation ?? 'linear'));
  if (training.dropLastActivation) {
    if (lastSpec.type === 'activation' && specs.length > 1) {
      specs.pop();
      sources.pop();
    } else lastSpec.activation = 'linear';
  }
  notes.push(...training.notes);
  const input = inputShape!.length === 1 && specs[0]!.type !== 'embedding' ? { inputSize: inputShape![0]! } : { inputShape: inputShape! };
  const spec: TrainerSpec = { ...input, layers: specs, loss: training.loss, optimizer: training.optimizer };
  const checked = modelFromSpec(spec);
  return { spec, weights: readWeights(checked.layers, sources, places, data), notes };
}

/** An Add or Concatenate layer (last axis only) over inputs of `shapes`. */
function mergeLayer(where: string, className: string, config: Record<string, unknown>, shapes: readonly (readonly number[])[]): ReturnType<typeof mapLayer> {
  // the inputs are the entry's, written by the caller
  if (className === 'Add') return { spec: { type: 'add' } as LayerSpec, tensors: {}, notes: [] };
  const axis = config.axis ?? -1;
  // Keras counts the batch axis: the last axis of a row of rank r is -1 or r
  if (axis !== -1 && axis !== shapes[0]!.length) throw new RangeError(`${where} axis must be the last axis (-1) to import, got ${describe(axis)}`);
  return { spec: { type: 'concat' } as LayerSpec, tensors: {}, notes: [] };
}

/**
 * The names of the layers a functional model's layer reads, from its inbound_nodes: tfjs and Keras 2
 * write [[[name, node, tensor, kwargs], …]], Keras 3 [{ args: [keras tensors with keras_history] }].
 * A layer used more than once (shared weights) does not import.
 */
function inboundOf(where: string, layer: Record<string, unknown>): string[] {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes)) throw new RangeError(`${where} must have inbound_nodes (a functional model's wiring), got ${describe(nodes)}`);
  if (nodes.length === 0) return [];
  if (nodes.length > 1) throw new RangeError(`${where} is applied ${nodes.length} times (shared weights); only layers used once import`);
  const names: string[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) {
      if (typeof value[0] === 'string' && typeof value[1] === 'number') names.push(value[0]);
      else value.forEach(collect);
    } else if (value !== null && typeof value === 'object') {
      const history = (value as { config?: { keras_history?: unknown } }).config?.keras_history;
      if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      else collect((value as { args?: unknown }).args);
    }
  };
  collect(nodes[0]);
  if (names.length === 0) throw new RangeError(`${where} has inbound_nodes that name no layer: ${JSON.stringify(nodes[0])}`);
  return names;
}

/** A functional model's one output must be its last imported layer (descent's output is its last entry). */
function checkOutput(config: Record<string, unknown>, entryOf: Map<string, number>, count: number): void {
  const outputs = config.output_layers;
  const names: string[] = [];
  const collect = (value: unknown): void => {
    if (!Array.isArray(value)) return;
    if (typeof value[0] === 'string') names.push(value[0]);
    else value.forEach(collect);
  };
  collect(outputs);
  if (names.length !== 1) throw new RangeError(`only models with one output import, got output_layers ${JSON.stringify(outputs)}`);
  if (entryOf.get(names[0]!) !== count - 1) {
    throw new RangeError(`the output layer ${JSON.stringify(names[0])} must be the last layer of model.json (descent's output is its last entry)`);
  }
}

/** The input shape (without the batch axis) from the first layer's batch_input_shape (Keras 3: batch_shape). */
function inputShapeOf(where: string, config: Record<string, unknown>): number[] {
  const batchShape = config.batch_input_shape ?? config.batch_shape ?? config.batchInputShape;
  if (!Array.isArray(batchShape)) {
    throw new RangeError(`${where} must give the input shape (batch_input_shape), being the first layer; got ${describe(batchShape)}`);
  }
  const shape = batchShape.slice(1);
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${where} batch_input_shape must be [null, ...positive sizes] (descent needs every size but the batch), got ${JSON.stringify(batchShape)}`);
  }
  return shape as number[];
}

/** Each descent tensor's values from its tfjs weight, shape checked, in torch's layout. */
function readWeights(
  layers: ReturnType<typeof modelFromSpec>['layers'], sources: Source[], places: TfjsWeight[], data: Uint8Array,
): Record<string, Float32Array> {
  const byName = new Map<string, TfjsWeight>();
  for (const place of places) if (place.group !== 'optimizer') byName.set(place.name, place);
  const used = new Set<string>();
  const plan: { name: string; source: TensorSource; place?: TfjsWeight; length: number }[] = [];
  layers.forEach((layer, i) => {
    const source = sources[i]!;
    for (const tensor of [...layer.tensors, ...(layer.states ?? [])]) {
      const from = source.tensors[tensor.name];
      if (!from) continue; // num_batches_tracked: no tfjs counterpart, it keeps its start value
      const length = tensor.shape.reduce((a, b) => a * b, 1);
      const name = `${layer.index}.${tensor.name}`;
      if ('fill' in from) {
        plan.push({ name, source: from, length });
        continue;
      }
      const place = findWeight(byName, source.layerName, from.weight);
      if (!place) throw new RangeError(`${source.where} has no weight ${JSON.stringify(`${source.layerName}/${from.weight}`)} in the weight specs`);
      // the tfjs layout is torch's with the axes put back: axis perm[i] of tfjs is axis i of torch
      const permuted = from.perm ? tensor.shape.map((_d, a) => tensor.shape[from.perm!.indexOf(a)]!) : [...tensor.shape];
      const expected = from.row ? [from.row.of, ...permuted] : permuted;
      if (place.shape.length !== expected.length || place.shape.some((d, a) => d !== expected[a])) {
        throw new RangeError(`${source.where} weight ${JSON.stringify(place.name)} must have shape ${JSON.stringify(expected)}, got ${JSON.stringify(place.shape)}`);
      }
      used.add(place.name);
      plan.push({ name, source: from, place, length });
    }
  });
  const unused = [...byName.keys()].filter((name) => !used.has(name));
  if (unused.length) throw new RangeError(`weight specs name weights no imported layer has: ${unused.map((n) => JSON.stringify(n)).join(', ')}`);
  const weights: Record<string, Float32Array> = {};
  for (const { name, source, place, length } of plan) {
    weights[name] = 'fill' in source ? new Float32Array(length).fill(source.fill) : torchLayout(readWeight(data, place!), place!.shape, source);
  }
  return weights;
}

/** A tfjs weight's values (of `shape`) in torch's layout: its row, axes and gate blocks as `source` says. */
function torchLayout(values: Float32Array, shape: readonly number[], source: Exclude<TensorSource, { fill: number }>): Float32Array {
  let [v, s] = [values, shape];
  if (source.row) {
    s = shape.slice(1);
    const length = v.length / source.row.of;
    v = v.subarray(source.row.index * length, (source.row.index + 1) * length);
  }
  if (source.perm) v = permute(v, s, source.perm);
  if (source.gates) {
    const block = v.length / source.gates.length;
    const ordered = new Float32Array(v.length);
    source.gates.forEach((from, j) => ordered.set(v.subarray(from * block, (from + 1) * block), j * block));
    v = ordered;
  }
  return v === values ? v : Float32Array.from(v);
}

/**
 * The weight `{layer}/{weight}`, also under an outer scope (`sequential/dense/kernel`, as Keras may
 * save) or the layer's cell (`lstm/lstm_cell/kernel`: Keras' recurrent layers keep their weights there).
 */
function findWeight(byName: Map<string, TfjsWeight>, layerName: string, weight: string): TfjsWeight | undefined {
  const suffix = `${layerName}/${weight}`;
  const exact = byName.get(suffix);
  if (exact) return exact;
  const inLayer = (name: string) => name === suffix || name.endsWith(`/${suffix}`) || cellWeight(name, layerName, weight);
  const scoped = [...byName.values()].filter((w) => inLayer(w.name));
  return scoped.length === 1 ? scoped[0] : undefined;
}

/** Whether `name` is `[scope/]{layer}/{cell}_cell/{weight}`. */
function cellWeight(name: string, layerName: string, weight: string): boolean {
  const parts = name.split('/');
  const n = parts.length;
  return n >= 3 && parts[n - 1] === weight && parts[n - 2]!.endsWith('_cell') && parts[n - 3] === layerName;
}
