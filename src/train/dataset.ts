// A resident data set: rows checked once and copied once into a trainer's WASM memory, where fit,
// evaluate and predict use them in place on every call (no copy per call, none across threads).

import { type Model, targetWidth } from '../model/spec.js';
import { type Heap, WasmArray } from '../wasm/heap.js';
import { type CheckedData, type FeatureStats, inputType, writeFeatures } from './data.js';
import { DATASET } from './fit-options.js';
import type { SharedRows, Staged } from './step.js';
import type { DatasetHandle } from './types.js';
import { toShared } from '../worker/shared-memory.js';

/** Names data sets across trainers and threads (with a version for each shared copy). */
let nextDatasetId = 1;

export class Dataset implements DatasetHandle {
  readonly [DATASET] = true;
  readonly rows: number;
  /** Fits using the set right now: it cannot be disposed under them. */
  #uses = 0;
  /** The rows as given (features not normalised). */
  readonly #x: WasmArray;
  /** Class indices (i32) or targets (f32), or null for a predict-only set. */
  readonly #y: WasmArray | null;
  /** The features standardised with `stats` (normalize: true), made at the first use with those statistics. */
  #normalized: { stats: FeatureStats; x: WasmArray } | null = null;
  #disposed = false;
  readonly #id = nextDatasetId++;
  /** The last rows handed to shard workers in shared memory, made once per (statistics, range). */
  #shared: { stats: FeatureStats | null; from: number; to: number; rows: SharedRows } | null = null;
  #sharedVersion = 0;

  /** Copies checked rows (and targets, when given) into `heap`; `owner` is the trainer the set belongs to. */
  constructor(readonly owner: object, readonly heap: Heap, readonly model: Model, data: Pick<CheckedData, 'rows' | 'x'> & { y: CheckedData['y'] | null }) {
    this.rows = data.rows;
    this.#x = heap.alloc(data.rows * model.inputSize, inputType(model), 'x length');
    try {
      writeFeatures(heap, this.#x, data.x, 0, data.rows, model.inputSize, null);
      this.#y = data.y ? heap.copyIn(data.y, data.y instanceof Int32Array ? 'i32' : 'f32', 'y length') : null;
    } catch (error) {
      this.#x.free();
      throw error;
    }
  }

  /** True once disposed (or once its trainer is). */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Whether the targets are class indices (i32). */
  get classIndices(): boolean {
    return this.#y?.type === 'i32';
  }

  /** Whether the set has targets (fit and evaluate need them; predict does not). */
  get hasTargets(): boolean {
    return this.#y !== null;
  }

  /** Bytes of WASM memory the set holds. */
  get bytes(): number {
    return 4 * (this.#x.length + (this.#y?.length ?? 0) + (this.#normalized?.x.length ?? 0));
  }

  /** The raw features in WASM memory (a view: do not keep it across allocations). */
  get features(): Float32Array | Int32Array {
    return this.#x.array;
  }

  /** The targets in WASM memory (a view; empty for a predict-only set). */
  get targets(): Float32Array | Int32Array {
    return this.#y?.array ?? new Float32Array(0);
  }

  /** Throws unless the set is alive, belongs to `owner` and (when `needTargets`) has targets; `what` names the argument. */
  check(owner: object, what: string, needTargets: boolean): void {
    if (this.#disposed) throw new Error(`${what} is a disposed data set`);
    if (owner !== this.owner) throw new TypeError(`${what} is a data set of another trainer`);
    if (needTargets && !this.#y) throw new TypeError(`${what} has no targets (made with trainer.dataset(x) alone): fit and evaluate need y`);
  }

  /**
   * Rows [from, to) as a staged set: views into this set's memory, features standardised with
   * `stats` when given (a copy kept for as long as the statistics stay the same).
   */
  staged(stats: FeatureStats | null, from = 0, to = this.rows): Staged {
    let x = this.#x;
    if (stats) {
      if (this.#normalized?.stats !== stats) {
        this.#normalized?.x.free();
        this.#normalized = null;
        const copy = this.heap.alloc(this.#x.length, 'f32', 'x length');
        try {
          writeFeatures(this.heap, copy, this.#x.array as Float32Array, 0, this.rows, this.model.inputSize, stats);
        } catch (error) {
          copy.free();
          throw error;
        }
        this.#normalized = { stats, x: copy };
      }
      x = this.#normalized.x;
    }
    const d = this.model.inputSize;
    const width = targetWidth(this.model, this.#y?.type === 'i32');
    const view = (array: WasmArray, per: number) => new WasmArray(this.heap, array.ptr + from * per * 4, (to - from) * per, array.type);
    const staged: Staged = { rows: to - from, x: view(x, d), y: this.#y ? view(this.#y, width) : view(x, 0) };
    staged.share = () => {
      const cached = this.#shared;
      if (cached && cached.stats === stats && cached.from === from && cached.to === to) return cached.rows;
      const rows: SharedRows = {
        key: `${this.#id}.${++this.#sharedVersion}`,
        x: toShared(staged.x.array).buffer as SharedArrayBuffer,
        y: toShared(staged.y.array).buffer as SharedArrayBuffer,
      };
      this.#shared = { stats, from, to, rows };
      return rows;
    };
    return staged;
  }

  /** Marks the set as in use by a fit until the returned function is called. */
  use(): () => void {
    this.#uses++;
    return () => { this.#uses--; };
  }

  /** Frees the set's memory; later use is an error. Disposing twice is a no-op; during a fit that uses it, an error. */
  dispose(): void {
    if (this.#disposed) return;
    if (this.#uses > 0) throw new Error('data set is in use by a running fit; dispose it after fit resolves (or stop() first)');
    this.#disposed = true;
    this.#x.free();
    this.#y?.free();
    this.#normalized?.x.free();
    this.#normalized = null;
    this.#shared = null;
  }
}
