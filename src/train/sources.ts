// Where a fit's rows come from: arrays (checked, then staged for the fit), a resident data set
// (used in place) or a stream of batches (pulled and staged one by one); each gives the fit its
// batches epoch by epoch, and the validation rows.

import type { Model } from '../model/spec.js';
import { hasAutoLength } from '../schedules.js';
import { Random } from '../model/random.js';
import type { Heap } from '../wasm/heap.js';
import { type CheckedData, checkData, checkRoom, type FeatureStats, freeStaged, lengthOf, stage } from './data.js';
import type { Dataset } from './dataset.js';
import { type FitPlan, isDataset } from './fit-options.js';
import type { Staged } from './step.js';
import { type BatchSource, StreamFeed } from './stream.js';
import type { Features, Targets } from './types.js';

/** What the sources need of their trainer. */
export interface SourceContext {
  heap: Heap;
  model: Model;
  /** Epochs trained so far (seeds shuffleBeforeSplit). */
  epoch: number;
  /** Whether data-parallel shard workers train with it. */
  parallel: boolean;
  /** WASM bytes the model, its optimizer state and the resident sets take. */
  stateBytes(): number;
  normalization(): FeatureStats | null;
  /** `value` as a live data set of the trainer, or an error naming `what`. */
  ownDataset(value: unknown, what: string, needTargets: boolean): Dataset;
}

/** Where a fit's rows come from: arrays (staged per fit) or a resident data set (used in place). */
export interface FitSource {
  /** Rows given (0 for a stream: unknown). */
  rows: number;
  /** The raw features, for the statistics of `normalize: true`. */
  features(): ArrayLike<number>;
  /** Stages the training rows [0, trainRows) and the validation rows; what must be freed after the fit goes to `owned`. */
  stage(stats: FeatureStats | null, trainRows: number, owned: Owned): Feed | Promise<Feed>;
}

export type Owned = { free(): void | Promise<void> }[];

/** One batch: rows `indices` of `data` (the staged training rows, or a stream's batch buffer). */
export interface BatchRef {
  data: Staged;
  rows: number;
  indices: Int32Array;
}

/** A fit's batches, epoch by epoch, and what the set-up needs to know first. */
export interface Feed {
  /** The staged training rows (null for a stream): the data-parallel step shares them with its shard workers. */
  train: Staged | null;
  val: Staged | null;
  classIndices: boolean;
  /** Rows of the largest batch known before training (a stream's later batches may be larger). */
  capacity: number;
  batchesPerEpoch: number;
  batches(epochNumber: number): Iterable<BatchRef> | AsyncIterable<BatchRef>;
}

/**
 * The rows of `data` in a seeded order (from the seed and the epochs trained so far), for
 * `shuffleBeforeSplit`: validationSplit then takes the last rows of the shuffled order.
 */
function shuffledRows(data: CheckedData, model: Model, epoch: number): CheckedData {
  const order = Int32Array.from({ length: data.rows }, (_, i) => i);
  new Random(model.seed, 0x5b17, epoch).shuffle(order);
  const d = model.inputSize;
  const width = data.y.length / data.rows;
  const x = data.x instanceof Int32Array ? new Int32Array(data.rows * d) : new Float32Array(data.rows * d);
  const y = data.y instanceof Int32Array ? new Int32Array(data.y.length) : new Float32Array(data.y.length);
  order.forEach((row, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = data.x[row * d + j]!;
    for (let j = 0; j < width; j++) y[i * width + j] = data.y[row * width + j]!;
  });
  return { rows: data.rows, x, y };
}

/** Batches of staged rows: a seeded shuffle per epoch (from seed and the global epoch), then slices of batchSize. */
function rowFeed(train: Staged, val: Staged | null, plan: FitPlan, seed: number): Feed {
  const order = new Int32Array(train.rows);
  const { batchSize, shuffle } = plan;
  return {
    train, val, classIndices: train.y.type === 'i32', capacity: Math.min(batchSize, train.rows), batchesPerEpoch: Math.ceil(train.rows / batchSize),
    *batches(epochNumber) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      if (shuffle) new Random(seed, 0x5eed, epochNumber).shuffle(order);
      for (let start = 0; start < train.rows; start += batchSize) {
        const rows = Math.min(batchSize, train.rows - start);
        yield { data: train, rows, indices: order.subarray(start, start + rows) };
      }
    },
  };
}


/** fit's data from arrays: checked (room first), staged per fit and freed after it. */
export function arraySource(context: SourceContext, x: Features, y: Targets, plan: FitPlan): FitSource {
  const givenRows = Math.floor(lengthOf(x) / context.model.inputSize);
  const trainRowsAtMost = givenRows - Math.floor(givenRows * plan.validationSplit);
  const yWidth = givenRows > 0 ? lengthOf(y) / givenRows : 0;
  const validationArrays = Array.isArray(plan.validationData) ? plan.validationData : [];
  checkRoom(context.stateBytes(), [
    ['x', trainRowsAtMost * context.model.inputSize], ['y', trainRowsAtMost * yWidth],
    ['the validation rows of x', (givenRows - trainRowsAtMost) * context.model.inputSize], ['the validation rows of y', (givenRows - trainRowsAtMost) * yWidth],
    ['validationData[0]', lengthOf(validationArrays[0])], ['validationData[1]', lengthOf(validationArrays[1])],
    ['a batch', Math.min(plan.batchSize, trainRowsAtMost) * context.model.inputSize],
  ]);
  const checked = checkData(context.model, x, y, 'x', 'y');
  const data = plan.shuffleBeforeSplit ? shuffledRows(checked, context.model, context.epoch) : checked;
  const validation = validationSource(context, plan);
  return {
    rows: data.rows,
    features: () => data.x,
    stage: (stats, trainRows, owned) => {
      const stageRows = (source: CheckedData, from: number, to: number) => {
        const staged = stage(context.heap, context.model, source, from, to, stats);
        owned.push({ free: () => freeStaged(staged) });
        return staged;
      };
      const train = stageRows(data, 0, trainRows);
      const val = plan.validationSplit > 0 ? stageRows(data, trainRows, data.rows) : validation?.(stats, owned) ?? null;
      return rowFeed(train, val, plan, context.model.seed);
    },
  };
}

/** fit's data from a resident set: used in place (features standardised once per set when normalize). */
export function residentSource(context: SourceContext, dataset: Dataset, plan: FitPlan): FitSource {
  // a seeded shuffle before the split: the set's rows, reordered, staged for this fit like arrays
  if (plan.shuffleBeforeSplit) return arraySource(context, dataset.features.slice() as Features, dataset.targets.slice(), plan);
  const validation = validationSource(context, plan);
  return {
    rows: dataset.rows,
    features: () => dataset.features,
    stage: (stats, trainRows, owned) => {
      owned.push({ free: dataset.use() });
      const val = plan.validationSplit > 0 ? dataset.staged(stats, trainRows, dataset.rows) : validation?.(stats, owned) ?? null;
      return rowFeed(dataset.staged(stats, 0, trainRows), val, plan, context.model.seed);
    },
  };
}

/**
 * fit's data from a stream of batches, in one thread: its first batch is read and checked now;
 * validation from validationData (validationSplit needs rows to split); normalize needs statistics
 * from an earlier fit (or a checkpoint).
 */
export function streamSource(context: SourceContext, source: BatchSource, plan: FitPlan): FitSource {
  if (plan.validationSplit > 0) throw new TypeError('validationSplit needs arrays or a data set to split; give a stream validationData instead');
  if (context.parallel) throw new TypeError('a stream of batches trains in one thread: workers > 1 needs arrays or a data set');
  if (context.model.normalize && context.normalization() === null) {
    throw new TypeError('normalize: true needs feature statistics before a stream: fit arrays or a data set first, or load a checkpoint');
  }
  if (plan.stepsPerEpoch === null && hasAutoLength(context.model.learningRate)) {
    throw new TypeError("a schedule with 'auto' length needs stepsPerEpoch with a stream (its number of batches is not known)");
  }
  const validation = validationSource(context, plan);
  const feed = new StreamFeed(context.heap, context.model, source, plan.stepsPerEpoch);
  return {
    rows: Infinity,
    features: () => [],
    stage: async (stats, _trainRows, owned) => {
      owned.push(feed);
      const first = await feed.first();
      let identity = new Int32Array(0);
      return {
        train: null,
        val: validation?.(stats, owned) ?? null,
        classIndices: first.classIndices,
        capacity: first.rows,
        batchesPerEpoch: plan.stepsPerEpoch ?? 1,
        async *batches(epochNumber) {
          for await (const { data, rows } of feed.epoch(epochNumber, stats)) {
            if (identity.length < rows) identity = Int32Array.from({ length: rows }, (_, i) => i);
            yield { data, rows, indices: identity.subarray(0, rows) };
          }
        },
      };
    },
  };
}

/** validationData (arrays or a resident set), checked now and staged when the fit starts. */
function validationSource(context: SourceContext, plan: FitPlan): ((stats: FeatureStats | null, owned: Owned) => Staged) | null {
  const given = plan.validationData;
  if (!given) return null;
  if (isDataset(given)) {
    const dataset = context.ownDataset(given, 'validationData', true);
    return (stats, owned) => {
      owned.push({ free: dataset.use() });
      return dataset.staged(stats);
    };
  }
  const [vx, vy] = given as [unknown, unknown];
  const data = checkData(context.model, vx, vy, 'validationData[0]', 'validationData[1]');
  return (stats, owned) => {
    const staged = stage(context.heap, context.model, data, 0, data.rows, stats);
    owned.push({ free: () => freeStaged(staged) });
    return staged;
  };
}
