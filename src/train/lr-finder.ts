// The learning-rate range test (L. N. Smith, "Cyclical Learning Rates for Training Neural Networks",
// 2017; fastai's `lr_find`): train for a few steps while the learning rate grows exponentially from
// minLr to maxLr, record the loss, stop once its moving average diverges (fastai's rule: 4 × the best),
// and suggest a fifth of the largest rate before the smoothed loss rises above its lowest (see
// suggestedRate: of fastai's steep, valley and minimum, Smith's and others, the rule that trained
// best). The steps are the trainer's own fit (same batches, optimizer, penalties, NaN guard,
// data-parallel workers) with the learning rate replaced; the trainer puts everything back afterwards.
//
// One departure from fastai's smoothing, measured on least squares with known curvature (then with
// fastai's `steep` rule): fastai takes the steepest point of the causal moving average, which lags the loss by up to
// 1/(1 − smoothing) = 50 steps, more than the few steps over which a small model's loss falls. Its
// steepest point then sits where the raw loss is already lowest, at the edge of divergence (2.7 × the
// best rate after 20 full-batch steps), and with mini-batches the noise of the first steps wins
// (3e-6 ×). Smoothing the recorded curve forwards and backwards (the same bias-corrected average each
// way, so no lag) keeps both the noise reduction and the position: 1.9 × and 0.84 × there.

import type { Schedule } from '../schedules.js';
import { booleanOption, describe, knownKeys, numberOption, plainObject } from '../validate.js';
import { isDataset } from './fit-options.js';
import { type BatchSource, isBatchSource, SourceExhaustedError } from './stream.js';
import type { BatchLog, Features, FitOptions, History, LrFinderResult, LrFinderStep, Targets } from './types.js';

export interface LrFinderSettings {
  minLr: number;
  maxLr: number;
  steps: number;
  /** null for a stream (its batches keep their size). */
  batchSize: number | null;
  smoothing: number;
  onStep: ((log: LrFinderStep) => unknown) | null;
}

const KEYS = ['minLr', 'maxLr', 'steps', 'batchSize', 'smoothing', 'onStep', 'transfer'];
/** fastai stops when the smoothed loss exceeds 4 × the best so far. */
const DIVERGENCE_FACTOR = 4;
/** fastai's suggestion ignores the last five points (their loss is already diverging). */
const SKIP_END = 5;
/** The curve's edge: where the loss has risen this fraction of its magnitude above its minimum. */
const EDGE_RISE = 0.01;
/** The suggestion is the edge's rate divided by this (see suggestedRate). */
const EDGE_DIVISOR = 5;

/** Checks findLearningRate's options (every error names the option, the rule and the value). */
export function lrFinderSettings(options: unknown, streamed: boolean): LrFinderSettings {
  const o = plainObject('options', options ?? {});
  knownKeys('findLearningRate options', o, KEYS);
  const positive = { min: 0, minExclusive: true };
  const minLr = numberOption('minLr', o.minLr, 1e-7, positive);
  const maxLr = numberOption('maxLr', o.maxLr, 10, positive);
  if (minLr >= maxLr) throw new RangeError(`minLr must be less than maxLr, got minLr ${minLr} and maxLr ${maxLr}`);
  const steps = numberOption('steps', o.steps, 100, { min: 10, integer: true });
  if (streamed && o.batchSize !== undefined) {
    throw new TypeError(`batchSize does not apply to a stream of batches (each batch keeps its own rows), got ${describe(o.batchSize)}`);
  }
  const batchSize = streamed ? null : numberOption('batchSize', o.batchSize, 32, { min: 1, integer: true });
  const smoothing = numberOption('smoothing', o.smoothing, 0.98, { min: 0, max: 1, maxExclusive: true });
  booleanOption('transfer', o.transfer, false);
  if (o.onStep !== undefined && typeof o.onStep !== 'function') throw new TypeError(`onStep must be a function, got ${describe(o.onStep)}`);
  return { minLr, maxLr, steps, batchSize, smoothing, onStep: (o.onStep as LrFinderSettings['onStep'] | undefined) ?? null };
}

/** The learning rate of step `i` (from 0) of `steps`: minLr · (maxLr / minLr)^(i / (steps − 1)). */
export function rangeTestRate(settings: LrFinderSettings, i: number): number {
  const { minLr, maxLr, steps } = settings;
  return minLr * (maxLr / minLr) ** (Math.min(i, steps - 1) / (steps - 1));
}

/** What the range test needs of its trainer. */
export interface LrFinderHost {
  /** Optimizer steps taken so far. */
  readonly step: number;
  /** fit(...args) with `schedule` as the learning rate, after which the trainer is put back exactly as it was. */
  fitLeavingNoTrace(args: [x: unknown, options: FitOptions] | [x: unknown, y: unknown, options: FitOptions], schedule: Schedule): Promise<History>;
  stop(): void;
}

/**
 * Runs the range test on arrays (`x`, `y`), a resident data set (`x`) or a stream of batches (`x`);
 * `settings` from lrFinderSettings. The trainer's state is restored before this resolves.
 */
export async function findLearningRate(host: LrFinderHost, x: Features | object | BatchSource, y: Targets | undefined, settings: LrFinderSettings): Promise<LrFinderResult> {
  const first = host.step;
  const schedule: Schedule = { valueAt: (t) => rangeTestRate(settings, t - first), resolveAuto: () => {}, observe: () => {}, state: {} };
  const lrs: number[] = [];
  const raw: number[] = [];
  /** The best smoothed loss before each step. */
  const bests: number[] = [];
  const beta = settings.smoothing;
  let average = 0;
  let best = Infinity;
  let done = false;
  const onBatchEnd = async ({ loss }: BatchLog) => {
    if (done) return;
    const i = lrs.length;
    // fastai's AvgSmoothLoss: an exponential moving average, divided by 1 − β^n against its start at 0
    average = beta * average + (1 - beta) * loss;
    const smoothed = average / (1 - beta ** (i + 1));
    lrs.push(rangeTestRate(settings, i));
    raw.push(loss);
    bests.push(best);
    best = Math.min(best, smoothed);
    if (!(smoothed <= DIVERGENCE_FACTOR * best) || lrs.length >= settings.steps) {
      done = true;
      host.stop();
    }
    await settings.onStep?.({ step: i + 1, lr: lrs[i]!, loss, smoothedLoss: smoothed });
  };
  const streamed = isBatchSource(x) && !isDataset(x);
  const fitOptions: FitOptions = { onBatchEnd, batchCallbackInterval: 0 };
  if (streamed) {
    // one epoch of `steps` batches; a function is called again when its iterable runs dry
    Object.assign(fitOptions, { epochs: 1, stepsPerEpoch: settings.steps });
    const source = typeof x === 'function' ? x : () => x as Iterable<unknown>;
    try {
      await host.fitLeavingNoTrace([source, fitOptions], schedule);
    } catch (error) {
      if (error instanceof SourceExhaustedError) {
        throw new RangeError(`findLearningRate takes steps = ${settings.steps} batches from the stream: ${error.message}`);
      }
      throw error;
    }
  } else {
    // each epoch has at least one batch: `steps` epochs are enough, the test stops itself
    Object.assign(fitOptions, { epochs: settings.steps, batchSize: settings.batchSize! });
    await host.fitLeavingNoTrace(isDataset(x) ? [x, fitOptions] : [x, y, fitOptions], schedule);
  }
  // the curve before the loss blew up and the blow-up are smoothed apart (the backward pass would carry
  // the blow-up into the curve before it), and the suggestion leaves out five more points, as fastai
  const cut = blowUp(raw, bests);
  const losses = [...smoothWithoutLag(raw.slice(0, cut), beta), ...smoothWithoutLag(raw.slice(cut), beta)];
  const kept = Math.max(0, cut - SKIP_END);
  const suggestion = suggestedRate(lrs.slice(0, kept), smoothWithoutLag(raw.slice(0, kept), beta), Math.floor(settings.steps / 10));
  return { lrs, losses, suggestion };
}

/**
 * Where the loss blew up: the first of two steps in a row whose loss exceeds 4 × the best smoothed loss
 * before it (fastai's divergence rule on the raw loss; two in a row so that one hard batch is not
 * taken for divergence); the number of steps when there is none.
 */
export function blowUp(raw: readonly number[], bests: readonly number[]): number {
  const high = (i: number) => raw[i]! > DIVERGENCE_FACTOR * bests[i]!;
  for (let i = 0; i + 1 < raw.length; i++) if (high(i) && high(i + 1)) return i;
  return raw.length;
}

/**
 * The suggestion: a fifth of the curve's edge, the last rate before the loss, past its lowest point
 * from `start` on, rises 1 % (of its magnitude) above that point. On a curve with a dip the edge is
 * just past the minimum; on a plateau that only rises at the end (a tanh network on spirals) it is the
 * plateau's end, where a rule reading the noisy lowest point or the steepest fall lands anywhere on the
 * plateau, often far too low. L. Smith (2017, §3.3) puts a good rate a factor of 3–4 below the largest
 * that still trains, fastai's `minimum` a factor of 10 below the minimum; a factor of 5 trained best
 * over seven tasks (bench/results/2026-12-07-lr-finder.md). NaN when no finite point remains.
 */
export function suggestedRate(lrs: readonly number[], losses: readonly number[], start: number): number {
  const firstNonFinite = losses.findIndex((loss) => !Number.isFinite(loss));
  const end = firstNonFinite >= 0 ? firstNonFinite : losses.length;
  if (end <= start) return NaN;
  let lowest = start;
  for (let i = start; i < end; i++) if (losses[i]! < losses[lowest]!) lowest = i;
  const ceiling = losses[lowest]! + EDGE_RISE * Math.abs(losses[lowest]!);
  let edge = lowest;
  while (edge + 1 < end && losses[edge + 1]! <= ceiling) edge++;
  return lrs[edge]! / EDGE_DIVISOR;
}

/**
 * `values` smoothed by fastai's bias-corrected exponential moving average (weight `beta` on the past)
 * run forwards, then over that result backwards: the same noise reduction, without the forward
 * average's lag (filtfilt).
 */
export function smoothWithoutLag(values: readonly number[], beta: number): number[] {
  const average = (v: readonly number[]) => {
    let sum = 0;
    return v.map((value, i) => {
      sum = beta * sum + (1 - beta) * value;
      return sum / (1 - beta ** (i + 1));
    });
  };
  return average(average(values).reverse()).reverse();
}
