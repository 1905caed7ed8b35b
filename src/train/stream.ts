// Streamed training data: fit(source, { epochs, stepsPerEpoch }) where `source` is an iterable or
// async iterable of { x, y } batches, or a function returning a fresh one per epoch. Batches are
// pulled a few ahead (backpressure: at most PREFETCH requests in flight), checked like arrays, and
// written into one buffer in WASM memory that grows to the largest batch.
//
// Epochs follow tfjs's fitDataset: without stepsPerEpoch an epoch is one pass over the source (a
// function is called again, an iterable is iterated again: arrays restart, a spent generator gives
// nothing, which is an error); with stepsPerEpoch each epoch takes that many batches from one
// iterator that continues across epochs (a function is called again when it runs dry).

import { type Model, targetWidth } from '../model/spec.js';
import { describe } from '../validate.js';
import type { Heap, WasmArray } from '../wasm/heap.js';
import { checkData, type FeatureStats, inputType, writeFeatures } from './data.js';
import type { Staged } from './step.js';
import type { Features, Targets } from './types.js';

/** One batch of a stream: rows of x and their targets, in any form fit takes for arrays. */
export interface Batch {
  x: Features;
  y: Targets;
}

export type BatchIterable = Iterable<Batch> | AsyncIterable<Batch>;
/** Where streamed batches come from. */
export type BatchSource = BatchIterable | (() => BatchIterable);

/** Batch requests in flight ahead of the one being trained on. */
const PREFETCH = 3;

/** Whether fit's first argument is a stream of batches (not rows of features). */
export function isBatchSource(value: unknown): value is BatchSource {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) return value.length > 0 && value[0] !== null && typeof value[0] === 'object' && !Array.isArray(value[0]);
  return Symbol.asyncIterator in value || Symbol.iterator in value;
}

/** The source's next pass; `ahead`: how many requests may be in flight (only an async source does work worth overlapping). */
function iteratorOf(source: BatchSource): { iterator: AsyncIterator<Batch> | Iterator<Batch>; ahead: number } {
  const iterable = typeof source === 'function' ? source() : source;
  if (iterable !== null && typeof iterable === 'object') {
    if (Symbol.asyncIterator in iterable) return { iterator: (iterable as AsyncIterable<Batch>)[Symbol.asyncIterator](), ahead: PREFETCH };
    if (Symbol.iterator in iterable) return { iterator: (iterable as Iterable<Batch>)[Symbol.iterator](), ahead: 1 };
  }
  throw new TypeError(`the batch source${typeof source === 'function' ? "'s function" : ''} must give an iterable or async iterable of { x, y }, got ${describe(iterable)}`);
}

/** Pulls batches with up to PREFETCH requests in flight. */
/**
 * A stream that ended before stepsPerEpoch batches. A RangeError (its name too, so it crosses the
 * worker boundary as one); the class lets the LR finder recognise it without reading the message.
 */
export class SourceExhaustedError extends RangeError {}

class Prefetcher {
  readonly #iterator: AsyncIterator<Batch> | Iterator<Batch>;
  readonly #ahead: number;
  readonly #queue: Promise<IteratorResult<Batch>>[] = [];
  #done = false;

  constructor({ iterator, ahead }: { iterator: AsyncIterator<Batch> | Iterator<Batch>; ahead: number }) {
    this.#iterator = iterator;
    this.#ahead = ahead;
  }

  /** The next batch, or null when the iterator is done; `wanted`: batches the epoch still takes. */
  async next(wanted: number): Promise<Batch | null> {
    while (!this.#done && this.#queue.length < Math.max(1, Math.min(this.#ahead, wanted))) {
      const request = Promise.resolve(this.#iterator.next());
      // a failure of a request ahead surfaces when it is awaited, not as an unhandled rejection
      request.catch(() => {});
      this.#queue.push(request);
    }
    const result = await this.#queue.shift();
    if (!result || result.done) {
      this.#done = true;
      return null;
    }
    return result.value;
  }

  get done(): boolean {
    return this.#done && this.#queue.length === 0;
  }

  /** Ends the iterator early (a generator's finally blocks run). */
  async close(): Promise<void> {
    if (!this.#done) await this.#iterator.return?.();
    this.#done = true;
  }
}

/** The batches of a fit from a stream, staged into one buffer in WASM memory. */
export class StreamFeed {
  readonly #source: BatchSource;
  readonly #stepsPerEpoch: number | null;
  readonly #heap: Heap;
  readonly #model: Model;
  #prefetcher: Prefetcher | null = null;
  /** The first batch, read by first() before the fit starts, trained on first. */
  #pending: Batch | null = null;
  #x: WasmArray | null = null;
  #y: WasmArray | null = null;
  #capacity = 0;
  #classIndices = false;

  constructor(heap: Heap, model: Model, source: BatchSource, stepsPerEpoch: number | null) {
    this.#heap = heap;
    this.#model = model;
    this.#source = source;
    this.#stepsPerEpoch = stepsPerEpoch;
  }

  /** Reads the first batch (kept for the first epoch): whether targets are class indices, and its rows. */
  async first(): Promise<{ classIndices: boolean; rows: number }> {
    this.#prefetcher = new Prefetcher(iteratorOf(this.#source));
    this.#pending = await this.#prefetcher.next(PREFETCH);
    if (!this.#pending) throw new RangeError('the batch source gave no batch');
    const data = this.#check(this.#pending, 'batch 1 of epoch 1');
    this.#classIndices = data.y instanceof Int32Array;
    return { classIndices: this.#classIndices, rows: data.rows };
  }

  /**
   * The epoch's batches, each checked and staged (features standardised with `stats`) before it is
   * yielded as { data, rows }: rows [0, rows) of `data` hold the batch.
   */
  async *epoch(epochNumber: number, stats: FeatureStats | null): AsyncGenerator<{ data: Staged; rows: number }> {
    const steps = this.#stepsPerEpoch;
    if (!this.#pending && (steps === null || !this.#prefetcher || this.#prefetcher.done)) this.#prefetcher = new Prefetcher(iteratorOf(this.#source));
    let taken = 0;
    while (steps === null || taken < steps) {
      let batch = this.#pending ?? await this.#prefetcher!.next(steps === null ? PREFETCH : steps - taken);
      this.#pending = null;
      if (!batch && steps !== null && typeof this.#source === 'function') {
        // stepsPerEpoch over a function's iterables: a dry one is followed by a fresh one
        this.#prefetcher = new Prefetcher(iteratorOf(this.#source));
        batch = await this.#prefetcher.next(steps - taken);
      }
      if (!batch) break;
      taken++;
      yield this.#stage(batch, `batch ${taken} of epoch ${epochNumber}`, stats);
    }
    if (taken === 0) {
      throw new RangeError(`the batch source gave no batch in epoch ${epochNumber}; ` +
        'a generator can be iterated once: pass a function that returns a fresh one per epoch');
    }
    if (steps !== null && taken < steps) {
      throw new SourceExhaustedError(`the batch source ran out after ${taken} of stepsPerEpoch ${steps} batches in epoch ${epochNumber}`);
    }
  }

  #check(batch: unknown, where: string) {
    if (batch === null || typeof batch !== 'object' || !('x' in batch) || !('y' in batch)) {
      throw new TypeError(`${where} must be { x, y }, got ${describe(batch)}`);
    }
    const { x, y } = batch as Batch;
    return checkData(this.#model, x, y, `${where}: x`, `${where}: y`);
  }

  #stage(batch: Batch, where: string, stats: FeatureStats | null): { data: Staged; rows: number } {
    const data = this.#check(batch, where);
    if ((data.y instanceof Int32Array) !== this.#classIndices) {
      throw new TypeError(`${where}: y must be ${this.#classIndices ? 'class indices' : 'float targets'} like the first batch`);
    }
    const model = this.#model;
    if (data.rows > this.#capacity) {
      this.#x?.free();
      this.#y?.free();
      this.#x = this.#y = null;
      this.#x = this.#heap.alloc(data.rows * model.inputSize, inputType(model), 'batch');
      this.#y = this.#heap.alloc(data.rows * targetWidth(model, this.#classIndices), this.#classIndices ? 'i32' : 'f32', 'batch');
      this.#capacity = data.rows;
    }
    writeFeatures(this.#heap, this.#x!, data.x, 0, data.rows, model.inputSize, stats);
    this.#y!.array.set(data.y);
    return { data: { rows: data.rows, x: this.#x!, y: this.#y! }, rows: data.rows };
  }

  /** Ends the source early (a generator's finally blocks run) and frees the buffer. */
  async free(): Promise<void> {
    await this.#prefetcher?.close();
    this.#x?.free();
    this.#y?.free();
    this.#x = this.#y = null;
  }
}
