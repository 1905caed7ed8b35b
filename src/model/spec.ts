// The trainer spec: plain data (it crosses postMessage), validated in one place with errors that
// name the path, e.g. `layers[1].units must be a positive integer, got -3`.

import { checkLossOptionKeys, LOSS_NAMES, LOSSES, lossOptionValues, type LossName, type LossOptions, type LossRecord } from '../losses/index.js';
import { DEFAULT_LEARNING_RATE, OPTIMIZER_NAMES, type OptimizerName, optimizerFromSpec } from '../optim/optimizers.js';
import type { Transform } from '../optim/transform.js';
import { type LearningRateSpec, type Schedule, scheduleFromSpec } from '../schedules.js';
import { booleanOption, describe, knownKeys, numberOption, plainObject } from '../validate.js';
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
  outputs: number;
  layers: Layer[];
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

/** Validates `spec` completely (before any memory is touched) and returns the model description. */
export function modelFromSpec(spec: unknown): Model {
  const s = plainObject('spec', spec);
  knownKeys('spec', s, SPEC_KEYS);
  const inputShape = inputShapeOf(s);
  if (!Array.isArray(s.layers) || s.layers.length === 0) {
    throw new RangeError(`layers must be a non-empty array of layer specs, got ${describe(s.layers)}`);
  }
  const layers: Layer[] = [];
  let shape: readonly number[] = inputShape;
  s.layers.forEach((raw, index) => {
    const path = `layers[${index}]`;
    const layer = layerFromSpec(plainObject(path, raw), path, index, shape);
    if (layer.inputKind === 'index' && index > 0) throw new RangeError(`${path} (${layer.type}) reads token ids: it must be the first layer`);
    layers.push(layer);
    shape = layer.outputShape;
  });
  if (shape.length !== 1) {
    throw new RangeError(`the last layer must give a flat output for the loss: add { type: 'flatten' } or { type: 'globalavgpool' }, got shape ${shapeText(shape)}`);
  }
  const width = shape[0]!;
  if (!layers.some((layer) => layer.tensors.length > 0)) {
    throw new RangeError(`layers must contain at least one layer with parameters (dense), got only ${[...new Set(layers.map((l) => l.type))].join(', ')} layers`);
  }
  // All parameters live in one WASM block: refuse a network that cannot, before any memory is touched.
  const parameters = layers.reduce((n, l) => n + l.tensors.reduce((m, t) => m + t.shape.reduce((a, b) => a * b, 1), 0), 0);
  if (4 * parameters > MAX_BLOCK_BYTES) {
    throw new RangeError(`layers need ${parameters} parameters; one WASM block holds at most ${MAX_BLOCK_BYTES / 4} (1 GiB)`);
  }

  const { lossName, lossOptions } = lossFromSpec(s.loss, width);
  const { optimizer, learningRate } = optimizerOf(s.optimizer);

  const seed = numberOption('seed', s.seed, 0, { min: 0, max: 2 ** 32, maxExclusive: true, integer: true });
  const normalize = booleanOption('normalize', s.normalize, false);
  const inputKind = layers[0]!.inputKind === 'index' ? 'index' : 'float';
  if (normalize && inputKind === 'index') throw new TypeError(`normalize applies to float features, not to the token ids of layers[0] (${layers[0]!.type})`);
  return {
    spec: s as unknown as TrainerSpec, inputShape, inputSize: sizeOf(inputShape), inputKind, outputs: width, layers, lossName, lossRecord: LOSSES[lossName], lossOptions,
    optimizer, learningRate, seed, normalize,
  };
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
  const forms = `a loss name (${LOSS_NAMES.join(', ')}) or { name, ...options }`;
  if (spec === undefined) throw new TypeError(`loss is required: ${forms}`);
  if (typeof spec !== 'string' && (spec === null || typeof spec !== 'object' || Array.isArray(spec))) {
    throw new TypeError(`loss must be ${forms}, got ${describe(spec)}`);
  }
  const l: Record<string, unknown> = typeof spec === 'string' ? { name: spec } : (spec as Record<string, unknown>);
  if (typeof l.name !== 'string' || !(LOSS_NAMES as readonly string[]).includes(l.name)) {
    throw new RangeError(`loss must be ${forms}; got ${typeof spec === 'string' ? describe(spec) : `name ${describe(l.name)}`}`);
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

/** A fresh schedule for the model's learning rate. */
export function scheduleOf(model: Model): Schedule {
  return scheduleFromSpec(model.learningRate, 'optimizer.learningRate');
}
