// fit's options, checked completely (each error names the option, the rule and the value) and
// turned into a plan before any data is copied or the trainer changes.

import { takesClassIndices } from '../losses/index.js';
import type { Model } from '../model/spec.js';
import { booleanOption, describe, knownKeys, numberOption, plainObject } from '../validate.js';
import { CheckpointSaver, EarlyStopping } from './policies.js';
import type { BatchLog, EpochLog } from './types.js';

const FIT_KEYS = [
  'epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'onEpochEnd', 'onBatchEnd',
  'batchCallbackInterval', 'earlyStopping', 'classWeight', 'signal', 'checkpoint', 'stepsPerEpoch', 'shuffleBeforeSplit', 'transfer',
];

export interface FitPlan {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  validationSplit: number;
  /** [x, y] as given (checked with the data), or a resident data set (`isDataset` tells). */
  validationData: [unknown, unknown] | object | null;
  /** Milliseconds between two onBatchEnd calls. */
  batchCallbackInterval: number;
  onEpochEnd: ((log: EpochLog) => unknown) | null;
  onBatchEnd: ((log: BatchLog) => unknown) | null;
  signal: AbortSignal | null;
  /** One weight per class (class-index losses), replacing the loss's own weight. */
  classWeight: Float32Array | null;
  earlyStopping: EarlyStopping | null;
  checkpoint: CheckpointSaver | null;
  /** A stream's batches per epoch (null: one pass over the source). */
  stepsPerEpoch: number | null;
  /** Shuffle the rows (seeded) before validationSplit takes the last ones (default false, as Keras). */
  shuffleBeforeSplit: boolean;
  /** Move the arrays to a worker instead of copying them (in this thread: nothing to move). */
  transfer: boolean;
}

/** fit's `onEpochEnd` or `onBatchEnd` option: a function, or null when absent. */
export function callbackOf<T>(options: Record<string, unknown>, key: 'onEpochEnd' | 'onBatchEnd'): ((log: T) => unknown) | null {
  const value = options[key];
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${key} must be a function, got ${describe(value)}`);
  return (value as ((log: T) => unknown) | undefined) ?? null;
}

/** Checks the options of a call that takes arrays and nothing else (dataset, evaluate): DataOptions. */
export function dataOptions(what: string, options: unknown): { transfer: boolean } {
  const o = plainObject('options', options ?? {});
  knownKeys(what, o, ['transfer']);
  return { transfer: booleanOption('transfer', o.transfer, false) };
}

/** Whether a value is a resident data set handle (in this thread, or a worker trainer's). */
export function isDataset(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as { [DATASET]?: unknown })[DATASET] === true;
}

/** The brand of data set handles (Dataset in this thread, the worker trainer's WorkerDataset). */
export const DATASET = Symbol.for('descent.dataset');

/** Checks fit's `options` for `model` (Keras defaults: 1 epoch, batches of 32, shuffled). */
export function planFit(model: Model, options: unknown): FitPlan {
  const o = plainObject('options', options);
  knownKeys('fit options', o, FIT_KEYS);
  const validationSplit = numberOption('validationSplit', o.validationSplit, 0, { min: 0, max: 1, maxExclusive: true });
  const plan = {
    epochs: numberOption('epochs', o.epochs, 1, { min: 0, integer: true }),
    batchSize: numberOption('batchSize', o.batchSize, 32, { min: 1, integer: true }),
    shuffle: booleanOption('shuffle', o.shuffle, true),
    validationSplit,
    batchCallbackInterval: numberOption('batchCallbackInterval', o.batchCallbackInterval, 50, { min: 0 }),
    onEpochEnd: callbackOf<EpochLog>(o, 'onEpochEnd'),
    onBatchEnd: callbackOf<BatchLog>(o, 'onBatchEnd'),
  };
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(o.signal)}`);
  if (o.validationData !== undefined && validationSplit > 0) {
    throw new TypeError('validationData and validationSplit cannot both be given');
  }
  const classWeight = classWeights(model, o.classWeight);
  const hasValidation = o.validationData !== undefined || validationSplit > 0;
  const earlyStopping = EarlyStopping.fromOptions(o.earlyStopping, hasValidation, model.lossName);
  const checkpoint = CheckpointSaver.fromOptions(o.checkpoint, hasValidation, model.lossName);
  if (o.validationData !== undefined && !isDataset(o.validationData) && (!Array.isArray(o.validationData) || o.validationData.length !== 2)) {
    throw new TypeError(`validationData must be [x, y] or a data set from trainer.dataset(x, y), got ${describe(o.validationData)}`);
  }
  return {
    ...plan, validationData: (o.validationData as [unknown, unknown] | object | undefined) ?? null, signal: (o.signal as AbortSignal | undefined) ?? null,
    classWeight, earlyStopping, checkpoint,
    stepsPerEpoch: o.stepsPerEpoch === undefined ? null : numberOption('stepsPerEpoch', o.stepsPerEpoch, undefined, { min: 1, integer: true }),
    shuffleBeforeSplit: booleanOption('shuffleBeforeSplit', o.shuffleBeforeSplit, false),
    transfer: booleanOption('transfer', o.transfer, false),
  };
}

/**
 * Refuses, before the first step, batches of `batchSize` over `trainRows` rows that end with one row
 * when a batchnorm layer sees one value per channel per row: that batch has no variance, and the step
 * would throw mid-epoch after the earlier steps were applied (torch's BatchNorm raises there too).
 */
export function checkLastBatch(model: Model, trainRows: number, batchSize: number): void {
  const last = trainRows % batchSize || Math.min(batchSize, trainRows);
  if (last !== 1) return;
  const layer = model.layers.find((l) => l.type === 'batchnorm' && l.inputSize === l.inputShape.at(-1));
  if (!layer) return;
  let other = batchSize + 1;
  while (other < trainRows && trainRows % other === 1) other++;
  const fix = trainRows > 1 ? `a batchSize that does not leave 1 row (such as ${other}) or ` : '';
  throw new RangeError(
    `batchSize ${batchSize} over ${trainRows} training rows ends each epoch with a batch of 1 row, and layers[${layer.index}] (batchnorm) ` +
      `needs more than one value per channel in training: choose ${fix}more rows`,
  );
}

/** fit's `classWeight` ({ class: weight } or [weight, …]) as one weight per class, 1 for classes not named. */
function classWeights(model: Model, value: unknown): Float32Array | null {
  if (value === undefined) return null;
  if (!takesClassIndices(model.lossName)) {
    throw new TypeError(`classWeight applies to class-index losses (softmax_cross_entropy, nll), not ${model.lossName}`);
  }
  const weights = new Float32Array(model.classes).fill(1);
  const entries = Array.isArray(value) ? value.map((w, i) => [String(i), w] as const) : Object.entries(plainObject('classWeight', value));
  for (const [key, w] of entries) {
    const c = Number(key);
    if (!Number.isInteger(c) || c < 0 || c >= model.classes) {
      throw new RangeError(`classWeight keys must be class indices in [0, ${model.classes}), got ${JSON.stringify(key)}`);
    }
    weights[c] = numberOption(`classWeight[${c}]`, w, undefined, { min: 0 });
  }
  return weights;
}
