// What a fit does at each epoch's end besides logging: early stopping and checkpoints, each
// parsed from fit's options (errors name the option) and then fed every epoch log.

import { LOSSES, type LossName } from '../losses/index.js';
import { booleanOption, describe, knownKeys, notOneOf, numberOption, plainObject } from '../validate.js';
import type { CheckpointOptions, EpochLog, Monitor } from './types.js';

const MONITORS: readonly Monitor[] = ['loss', 'valLoss', 'accuracy', 'valAccuracy'];

/** A metric name for early stopping or checkpoints, checked against the loss and the data. */
function monitorOf(path: string, value: unknown, hasValidation: boolean, lossName: LossName): Monitor {
  const monitor = (value ?? (hasValidation ? 'valLoss' : 'loss')) as Monitor;
  if (!MONITORS.includes(monitor)) {
    throw notOneOf(`${path}.monitor`, monitor, MONITORS);
  }
  if (monitor.startsWith('val') && !hasValidation) {
    throw new RangeError(`${path}.monitor ${monitor} needs validationSplit or validationData`);
  }
  if (monitor.endsWith('ccuracy') && LOSSES[lossName].metric === 'mae') {
    throw new RangeError(`${path}.monitor ${monitor} needs a classification loss, got ${lossName}`);
  }
  return monitor;
}

/** Tracks the best value of a monitored metric (accuracies are maximised, losses minimised). */
class Best {
  readonly maximize: boolean;
  value: number;

  constructor(readonly path: string, readonly monitor: Monitor) {
    this.maximize = monitor.endsWith('ccuracy');
    this.value = this.maximize ? -Infinity : Infinity;
  }

  /** The log's value of the monitored metric. */
  read(log: EpochLog): number {
    const value = log[this.monitor];
    if (value === undefined) throw new RangeError(`${this.path}.monitor ${this.monitor} is not reported for this loss`);
    return value;
  }

  /** Whether `value` beats the best by more than `minDelta`. */
  improves(value: number, minDelta = 0): boolean {
    return this.maximize ? value > this.value + minDelta : value < this.value - minDelta;
  }
}

/** Keras' EarlyStopping: stop after `patience` epochs without an improvement of at least `minDelta`. */
export class EarlyStopping {
  readonly #best: Best;
  readonly #patience: number;
  readonly #minDelta: number;
  readonly #restoreBestWeights: boolean;
  #wait = 0;
  /** The parameters at the best epoch, when restoreBestWeights. */
  bestWeights: Float32Array | null = null;
  /** The layers' states (running statistics) at the best epoch, with bestWeights. */
  bestStates: Float32Array | null = null;

  /** Parses fit's `earlyStopping` option; null when absent. */
  static fromOptions(value: unknown, hasValidation: boolean, lossName: LossName): EarlyStopping | null {
    if (value === undefined) return null;
    const e = plainObject('earlyStopping', value);
    knownKeys('earlyStopping', e, ['monitor', 'patience', 'minDelta', 'restoreBestWeights']);
    return new EarlyStopping(
      monitorOf('earlyStopping', e.monitor, hasValidation, lossName),
      numberOption('earlyStopping.patience', e.patience, 0, { min: 0, integer: true }),
      numberOption('earlyStopping.minDelta', e.minDelta, 0, { min: 0 }),
      booleanOption('earlyStopping.restoreBestWeights', e.restoreBestWeights, false),
    );
  }

  private constructor(monitor: Monitor, patience: number, minDelta: number, restoreBestWeights: boolean) {
    this.#best = new Best('earlyStopping', monitor);
    this.#patience = patience;
    this.#minDelta = minDelta;
    this.#restoreBestWeights = restoreBestWeights;
  }

  /** Feeds an epoch's log, the current parameters and states; true when training should stop. */
  shouldStop(log: EpochLog, params: Float32Array, states: Float32Array): boolean {
    const value = this.#best.read(log);
    if (this.#best.improves(value, this.#minDelta)) {
      this.#best.value = value;
      this.#wait = 0;
      if (this.#restoreBestWeights) {
        this.bestWeights = params.slice();
        this.bestStates = states.slice();
      }
      return false;
    }
    return ++this.#wait > this.#patience;
  }
}

/** fit's `checkpoint` option: save after every epoch, or when the monitored metric improves. */
export class CheckpointSaver {
  readonly #best: Best;

  /** Parses fit's `checkpoint` option; null when absent. */
  static fromOptions(value: unknown, hasValidation: boolean, lossName: LossName): CheckpointSaver | null {
    if (value === undefined) return null;
    const c = plainObject('checkpoint', value);
    knownKeys('checkpoint', c, ['every', 'monitor', 'onSave']);
    if (c.every !== 'epoch' && c.every !== 'best') throw notOneOf('checkpoint.every', c.every, ['epoch', 'best']);
    if (typeof c.onSave !== 'function') throw new TypeError(`checkpoint.onSave must be a function, got ${describe(c.onSave)}`);
    return new CheckpointSaver(c.every, monitorOf('checkpoint', c.monitor, hasValidation, lossName), c.onSave as CheckpointOptions['onSave']);
  }

  private constructor(readonly every: 'epoch' | 'best', monitor: Monitor, readonly onSave: CheckpointOptions['onSave']) {
    this.#best = new Best('checkpoint', monitor);
  }

  /** Feeds an epoch's log; true when this epoch's state is to be saved. */
  shouldSave(log: EpochLog): boolean {
    const value = log[this.#best.monitor] as number;
    const improved = this.#best.improves(value);
    if (improved) this.#best.value = value;
    return this.every === 'epoch' || improved;
  }
}
