// The trainer spec: plain data (it crosses postMessage), validated in one place with errors that
// name the path, e.g. `layers[1].units must be a positive integer, got -3`.

import { checkLossOptionKeys, LOSS_NAMES, LOSSES, lossOptionValues, type LossName, type LossOptions, type LossRecord } from '../losses/index.js';
import { DEFAULT_LEARNING_RATE, OPTIMIZER_NAMES, type OptimizerName, optimizerFromSpec } from '../optim/optimizers.js';
import type { Transform } from '../optim/transform.js';
import { type LearningRateSpec, type Schedule, scheduleFromSpec } from '../schedules.js';
import { booleanOption, describe, knownKeys, notOneOf, numberOption, oneOf, plainObject } from '../validate.js';
import { MAX_BLOCK_BYTES } from '../wasm/heap.js';
import { type Layer, layerFromSpec, type LayerSpec, shapeText, sizeOf } from './layers/index.js';

export { ACTIVATIONS, type Activation } from './activations.js';
export { INITIALIZERS, type Initializer } from './layers/index.js';
export type { ActivationLayerSpec, DenseLayerSpec, DropoutLayerSpec, FlattenLayerSpec, Layer, LayerSpec } from './layers/index.js';

export interface OptimizerSpec {
  name: OptimizerName;
  learningRate?: LearningRateSpec;
  [option: string]: unknown;
}

export interface TrainerSpec {
  /** Values per input row: the shorthand for `inputShape: [inputSize]`. */
  inputSize?: number;
  /** Shape of one input row, channels-last: [H, W, C] images, [T, C] sequences, [T] token ids, [n] features. */
  inputShape?: readonly number[];
  layers: LayerSpec[];
  loss: LossName | ({ name: LossName } & Record<string, unknown>);
  /** An optimizer name (its defaults) or `{ name, learningRate?, ...options }`; default Adam with its defaults. */
  optimizer?: OptimizerName | OptimizerSpec;
  seed?: number;
  /** Standardise features with the mean and std of the first fit's training data. */
  normalize?: boolean;
}

/** A validated spec with defaults filled in, and its optimizer and schedule built. */
export interface Model {
  spec: TrainerSpec;
  /** Shape of one input row (channels-last), and its number of values. */
  inputShape: readonly number[];
  inputSize: number;
  /** 'index': rows of Int32 token ids (an embedding first layer); 'float': features. */
  inputKind: 'float' | 'index';
  /** Floats per output row (the product of the last layer's output shape). */
  outputs: number;
  /**
   * Positions per output row: T for a [T, K] output (a sequence: the loss runs per position, class
   * indices are [N, T]), 1 for a flat one; classes (or columns) per position: K, or the flat width.
   */
  positions: number;
  classes: number;
  layers: Layer[];
  /** Per entry, the entries it reads by index (-1: the model input), in its `inputs` order. */
  inputs: number[][];
  /** Per entry, its `name` (undefined when it has none). */
  names: (string | undefined)[];
  /** Per entry, `trainable` as the spec gives it (Network keeps the current flags). */
  trainable: boolean[];
  lossName: LossName;
  /** What the library knows about the loss: targets, metric, predict's output. */
  lossRecord: LossRecord;
  lossOptions: LossOptions;
  optimizer: Transform;
  learningRate: LearningRateSpec;
  seed: number;
  normalize: boolean;
}

const SPEC_KEYS = ['inputSize', 'inputShape', 'layers', 'loss', 'optimizer', 'seed', 'normalize'];

/** Values per row of a model's targets: one class index per position, or every output. */
export function targetWidth(model: Pick<Model, 'positions' | 'outputs'>, classIndices: boolean): number {
  return classIndices ? model.positions : model.outputs;
}

/** Validates `spec` completely (before any memory is touched) and returns the model description. */
export function modelFromSpec(spec: unknown): Model {
  const s = plainObject('spec', spec);
  knownKeys('spec', s, SPEC_KEYS);
  const inputShape = inputShapeOf(s);
  if (!Array.isArray(s.layers) || s.layers.length === 0) {
    throw new RangeError(`layers must be a non-empty array of layer specs, got ${describe(s.layers)}`);
  }
  const { layers, inputs, names, trainable } = graphFromSpec(s.layers, inputShape);
  const shape = layers.at(-1)!.outputShape;
  if (shape.length > 2) {
    throw new RangeError(`the last layer must give a flat output [K] or a sequence [T, K] for the loss: add { type: 'flatten' } or { type: 'globalavgpool' }, got shape ${shapeText(shape)}`);
  }
  const width = sizeOf(shape);
  const classes = shape.at(-1)!;
  if (!layers.some((layer) => layer.tensors.length > 0)) {
    throw new RangeError(`layers must contain at least one layer with parameters (dense), got only ${[...new Set(layers.map((l) => l.type))].join(', ')} layers`);
  }
  // All parameters live in one WASM block: refuse a network that cannot, before any memory is touched.
  const parameters = layers.reduce((n, l) => n + l.tensors.reduce((m, t) => m + t.shape.reduce((a, b) => a * b, 1), 0), 0);
  if (4 * parameters > MAX_BLOCK_BYTES) {
    throw new RangeError(`layers need ${parameters} parameters; one WASM block holds at most ${MAX_BLOCK_BYTES / 4} (1 GiB)`);
  }

  const { lossName, lossOptions } = lossFromSpec(s.loss, classes);
  const { optimizer, learningRate } = optimizerOf(s.optimizer);

  const seed = numberOption('seed', s.seed, 0, { min: 0, max: 2 ** 32, maxExclusive: true, integer: true });
  const normalize = booleanOption('normalize', s.normalize, false);
  const inputKind = layers[0]!.inputKind === 'index' ? 'index' : 'float';
  if (normalize && inputKind === 'index') throw new TypeError(`normalize applies to float features, not to the token ids of layers[0] (${layers[0]!.type})`);
  return {
    spec: s as unknown as TrainerSpec, inputShape, inputSize: sizeOf(inputShape), inputKind, outputs: width, positions: width / classes, classes, layers, inputs, names, trainable, lossName, lossRecord: LOSSES[lossName], lossOptions,
    optimizer, learningRate, seed, normalize,
  };
}

/**
 * The spec's entries as a graph (DESIGN.md, "Graph models"): each entry's layer over the shapes of
 * the entries it reads (`inputs`: names of earlier entries or 'input'; default the entry before),
 * with its `name` and `trainable` taken out of the layer's own keys. Every entry but the last must
 * be read by a later one.
 */
function graphFromSpec(entries: unknown[], inputShape: readonly number[]): Pick<Model, 'layers' | 'inputs' | 'names' | 'trainable'> {
  const layers: Layer[] = [];
  const inputs: number[][] = [];
  const names: (string | undefined)[] = [];
  const trainable: boolean[] = [];
  const byName = new Map<string, number>();
  const entryName = (j: number) => (j < 0 ? 'input' : names[j] ?? `layers[${j}]`);
  entries.forEach((raw, index) => {
    const path = `layers[${index}]`;
    const { name, inputs: read, trainable: flag, ...layerSpec } = plainObject(path, raw);
    if (name !== undefined && (typeof name !== 'string' || name === '' || name === 'input')) {
      throw new TypeError(`${path}.name must be a non-empty string other than 'input' (the model input), got ${describe(name)}`);
    }
    if (name !== undefined && byName.has(name)) throw new RangeError(`${path}.name must be unique: ${JSON.stringify(name)} is also layers[${byName.get(name)}].name`);
    let reads = [index - 1];
    if (read !== undefined) {
      if (!Array.isArray(read) || read.length === 0 || !read.every((n) => typeof n === 'string')) {
        throw new TypeError(`${path}.inputs must be a non-empty array of names of earlier entries or 'input', got ${describe(read)}`);
      }
      reads = read.map((n: string) => {
        if (n === 'input') return -1;
        const j = byName.get(n);
        if (j === undefined) {
          const known = [...byName.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none';
          throw new RangeError(`${path}.inputs reads ${JSON.stringify(n)}, which is not the name of an earlier entry (names before it: ${known}; 'input' is the model input)`);
        }
        return j;
      });
    }
    const layer = layerFromSpec(layerSpec, path, index, reads.map((j) => (j < 0 ? inputShape : layers[j]!.outputShape)), reads.map(entryName));
    if (layer.inputKind === 'index' && reads.some((j) => j >= 0)) throw new RangeError(`${path} (${layer.type}) reads token ids: its input must be the model input`);
    layers.push(layer);
    inputs.push(reads);
    names.push(name as string | undefined);
    trainable.push(booleanOption(`${path}.trainable`, flag, true));
    if (name !== undefined) byName.set(name as string, index);
  });
  const ids = layers.findIndex((layer) => layer.inputKind === 'index');
  const floatReader = inputs.findIndex((reads, i) => i !== ids && reads.includes(-1));
  if (ids >= 0 && floatReader >= 0) {
    throw new RangeError(`layers[${floatReader}] (${layers[floatReader]!.type}) reads the model input, which is token ids for layers[${ids}] (${layers[ids]!.type})`);
  }
  const read = new Set(inputs.flat());
  const unread = layers.findIndex((_layer, i) => i < layers.length - 1 && !read.has(i));
  if (unread >= 0) {
    throw new RangeError(`layers[${unread}] (${layers[unread]!.type}) is not read by any later entry: only the last entry is the model's output`);
  }
  return { layers, inputs, names, trainable };
}

/** The spec's input row shape: `inputShape` (positive integers), or `inputSize` as [inputSize]; exactly one of them. */
function inputShapeOf(s: Record<string, unknown>): readonly number[] {
  if (s.inputShape !== undefined && s.inputSize !== undefined) {
    throw new TypeError(`give inputShape or inputSize, not both; got inputShape ${describe(s.inputShape)} and inputSize ${describe(s.inputSize)}`);
  }
  if (s.inputShape === undefined) return [numberOption('inputSize', s.inputSize, undefined, { min: 1, integer: true })];
  const shape = s.inputShape;
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`inputShape must be 1 to 3 positive integers (channels-last: [H, W, C], [T, C] or [n]), got ${Array.isArray(shape) ? shapeText(shape) : describe(shape)}`);
  }
  return [...shape] as number[];
}

/** The spec's loss: a name, or `{ name, ...options }` with every option checked against `outputs` columns. */
function lossFromSpec(spec: unknown, outputs: number): { lossName: LossName; lossOptions: LossOptions } {
  const forms = `a loss name (${oneOf(LOSS_NAMES)}) or { name, ...options }`;
  if (spec === undefined) throw new TypeError(`loss is required: ${forms}`);
  if (typeof spec !== 'string' && (spec === null || typeof spec !== 'object' || Array.isArray(spec))) {
    throw new TypeError(`loss must be ${forms}, got ${describe(spec)}`);
  }
  const l: Record<string, unknown> = typeof spec === 'string' ? { name: spec } : (spec as Record<string, unknown>);
  if (typeof l.name !== 'string' || !(LOSS_NAMES as readonly string[]).includes(l.name)) {
    throw notOneOf(typeof spec === 'string' ? 'loss' : 'loss.name', l.name, LOSS_NAMES, forms);
  }
  const lossName = l.name as LossName;
  checkLossOptionKeys(lossName, l, ['name'], 'loss');
  const lossOptions: LossOptions = {};
  for (const [key, value] of Object.entries(l)) if (key !== 'name' && value !== undefined) (lossOptions as Record<string, unknown>)[key] = value;
  lossOptionValues(lossName, lossOptions, { cols: outputs, prefix: 'loss.' });
  return { lossName, lossOptions };
}

/** The spec's optimizer: a name (its defaults), `{ name, ...options }`, or absent (Adam with its defaults, as Keras' compile). */
function optimizerOf(spec: unknown): { optimizer: Transform; learningRate: LearningRateSpec } {
  if (spec !== undefined && typeof spec !== 'string' && (spec === null || typeof spec !== 'object' || Array.isArray(spec))) {
    throw new TypeError(`optimizer must be an optimizer name (${OPTIMIZER_NAMES.join(', ')}) or { name, learningRate?, ...options }, got ${describe(spec)}`);
  }
  const o = spec === undefined ? { name: 'adam' } : typeof spec === 'string' ? { name: spec } : (spec as Record<string, unknown>);
  const optimizer = optimizerFromSpec(o);
  const learningRate = (o.learningRate ?? DEFAULT_LEARNING_RATE[o.name as OptimizerName]) as LearningRateSpec;
  scheduleFromSpec(learningRate, 'optimizer.learningRate');
  return { optimizer, learningRate };
}

/**
 * setTrainable's arguments checked against `model` (in the caller's thread, before any worker is
 * asked): `layer` an index into spec.layers or a layer's name, `trainable` a boolean; returns the index.
 */
export function trainableTarget(model: Model, layer: unknown, trainable: unknown): number {
  const count = model.layers.length;
  let index: number;
  if (typeof layer === 'string') {
    index = model.names.indexOf(layer);
    if (index < 0) {
      const names = model.names.filter((n) => n !== undefined).map((n) => JSON.stringify(n));
      throw new RangeError(`layer must be a layer index in [0, ${count}) or a layer name (${names.join(', ') || 'no layer has a name'}), got ${JSON.stringify(layer)}`);
    }
  } else {
    index = numberOption('layer', layer, NaN, { min: 0, max: count, maxExclusive: true, integer: true });
  }
  if (typeof trainable !== 'boolean') throw new TypeError(`trainable must be a boolean, got ${describe(trainable)}`);
  return index;
}

/** `spec` with each layer's `trainable` as `flags` says (true: the key left out, so an all-trainable spec is as written). */
export function specWithTrainable(spec: TrainerSpec, flags: readonly boolean[]): TrainerSpec {
  const layers = spec.layers.map((layer, l) => {
    const { trainable: _given, ...rest } = layer;
    return (flags[l] ? rest : { ...rest, trainable: false }) as LayerSpec;
  });
  return { ...spec, layers };
}

/** A fresh schedule for the model's learning rate. */
export function scheduleOf(model: Model): Schedule {
  return scheduleFromSpec(model.learningRate, 'optimizer.learningRate');
}
