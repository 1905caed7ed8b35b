// Training and evaluation data: checked in TypeScript (types, lengths, labels, finite targets, room
// in one instance) before anything is copied, then staged in WASM memory once, features normalised
// there by a kernel with the statistics of `normalize: true`.

import { takesClassIndices } from '../losses/index.js';
import { type Model, targetWidth } from '../model/spec.js';
import { describe } from '../validate.js';
import { type Heap, MAX_BLOCK_BYTES, MAX_MEMORY_BYTES, type WasmArray } from '../wasm/heap.js';
import type { Staged } from './step.js';

/** Checked data, still in the caller's arrays (y copied and converted to a typed array). */
export interface CheckedData {
  rows: number;
  /** Features, or token ids (an Int32Array, copied and checked) for a model whose first layer reads ids. */
  x: Float32Array | readonly number[] | Int32Array;
  y: Int32Array | Float32Array;
}

/** Per-feature mean and standard deviation, in float64. */
export interface FeatureStats {
  mean: Float64Array;
  std: Float64Array;
}

/** The length of an array argument (0 for anything else: its type is checked later, with the values). */
export function lengthOf(value: unknown): number {
  const length = (ArrayBuffer.isView(value) || Array.isArray(value)) ? (value as { length?: unknown }).length : 0;
  return typeof length === 'number' ? length : 0;
}

/** Float data as `k.loss` takes it: Float32Array, Float64Array, number[], or number[][] rows (flattened, each row checked). */
function floatValues(value: unknown, what: string, rowLength: number): Float32Array | Float64Array | readonly number[] | null {
  if (value instanceof Float32Array || value instanceof Float64Array) return value;
  if (!Array.isArray(value)) return null;
  if (value.every((v) => typeof v === 'number')) return value as readonly number[];
  if (value.length > 0 && value.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number'))) {
    value.forEach((row: readonly number[], i) => {
      if (row.length !== rowLength) throw new RangeError(`${what}[${i}] must hold ${rowLength} values (one row), got ${row.length}`);
    });
    return (value as readonly (readonly number[])[]).flat();
  }
  return null;
}

/**
 * Checks features: Float32Array, Float64Array, number[] (rows × inputSize, row-major) or number[][]
 * rows, converted to float32 once where they are not already; or token ids (see checkTokenIds).
 */
export function checkFeatures(model: Model, x: unknown, what: string): Float32Array | readonly number[] | Int32Array {
  if (model.inputKind === 'index') return checkTokenIds(model, x, what);
  const values = floatValues(x, what, model.inputSize);
  if (!values) {
    throw new TypeError(`${what} must be a Float32Array, Float64Array, number[] (rows × inputSize, row-major) or number[][] (rows), got ${describe(x)}`);
  }
  if (values.length === 0 || values.length % model.inputSize !== 0) {
    throw new RangeError(`${what} length must be a positive multiple of inputSize ${model.inputSize}, got ${values.length}`);
  }
  return values instanceof Float64Array ? Float32Array.from(values) : values;
}

/** Token ids for a first layer that reads them: an Int32Array or number[] of integers in [0, indexRange), copied. */
function checkTokenIds(model: Model, x: unknown, what: string): Int32Array {
  const first = model.layers[0]!;
  if (!(x instanceof Int32Array) && !(Array.isArray(x) && x.every((v) => typeof v === 'number'))) {
    throw new TypeError(`${what} must be an Int32Array of token ids (rows × ${model.inputSize}) for layers[0] (${first.type}), got ${describe(x)}`);
  }
  const ids = Int32Array.from(x as ArrayLike<number>);
  if (ids.length === 0 || ids.length % model.inputSize !== 0) {
    throw new RangeError(`${what} length must be a positive multiple of ${model.inputSize} token ids per row, got ${ids.length}`);
  }
  const range = first.indexRange!;
  for (let i = 0; i < ids.length; i++) {
    const id = (x as ArrayLike<number>)[i]!;
    if (!(Number.isInteger(id) && id >= 0 && id < range)) {
      const row = Math.floor(i / model.inputSize);
      throw new RangeError(`${what} row ${row}, position ${i - row * model.inputSize} must be a token id in [0, ${range}), got ${id}`);
    }
  }
  return ids;
}

/** Checks features and their targets: class indices in [0, outputs) (or ignoreIndex), or finite floats of rows × outputs. */
export function checkData(model: Model, x: unknown, y: unknown, xName: string, yName: string): CheckedData {
  const features = checkFeatures(model, x, xName);
  const rows = features.length / model.inputSize;
  const outputs = model.outputs;
  const { positions, classes } = model;
  // Class indices: an Int32Array, or a number[] of one label per row (nll; softmax_cross_entropy with
  // more than one output), one per position of a sequence output [T, K] ([N, T])
  const labelPerRow = Array.isArray(y) && y.length === rows * positions && classes > 1 && y.every((v) => typeof v === 'number');
  const classIndices = takesClassIndices(model.lossName) && (y instanceof Int32Array || model.lossName === 'nll' || labelPerRow);
  if (classIndices) {
    if (!(y instanceof Int32Array) && !(Array.isArray(y) && y.every((v) => typeof v === 'number'))) {
      throw new TypeError(`${yName} must be an Int32Array or number[] of class indices for loss ${model.lossName}, got ${describe(y)}`);
    }
    // Checked after copying, so that another thread (shared memory) cannot change what was checked.
    const labels = y instanceof Int32Array ? y.slice() : (y as readonly number[]);
    if (labels.length !== rows * positions) {
      throw new RangeError(positions === 1 ? `${yName} must have one label per row of ${xName} (${rows}), got ${labels.length}`
        : `${yName} must have one label per position: rows × T = ${rows} × ${positions} = ${rows * positions} (the output is [${positions}, ${classes}]), got ${labels.length}`);
    }
    const ignore = model.lossOptions.ignoreIndex ?? -100;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (label !== ignore && !(Number.isInteger(label) && label >= 0 && label < classes)) {
        const where = positions === 1 ? `${yName}[${i}]` : `${yName} row ${Math.floor(i / positions)}, position ${i % positions}`;
        throw new RangeError(`labels must be in [0, ${classes}) or ignoreIndex ${ignore}, got ${label} at ${where}`);
      }
    }
    return { rows, x: features, y: labels instanceof Int32Array ? labels : Int32Array.from(labels) };
  }
  const targets = floatValues(y, yName, outputs);
  if (!targets) {
    const forms = takesClassIndices(model.lossName) ? 'an Int32Array or number[] of class indices, or ' : '';
    throw new TypeError(`${yName} must be ${forms}a Float32Array, Float64Array, number[] (rows × ${outputs}) or number[][] for loss ${model.lossName}, got ${describe(y)}`);
  }
  if (targets.length !== rows * outputs) {
    const hint = takesClassIndices(model.lossName) && targets.length === rows ? `; class indices go in an Int32Array or number[]; a ${ArrayBuffer.isView(y) ? y.constructor.name : 'number[][]'} is read as one value per output` : '';
    throw new RangeError(`${yName} length must be rows × outputs = ${rows} × ${outputs} = ${rows * outputs}, got ${targets.length}${hint}`);
  }
  // A NaN or infinite target would only surface as a 'nan' stop at some batch: refuse it now.
  const copied = Float32Array.from(targets);
  const bad = copied.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${yName} must hold finite targets, got ${targets[bad]} at ${yName}[${bad}]`);
  return { rows, x: features, y: copied };
}

/**
 * Refuses, before anything is copied, data that one instance cannot hold: each staged array is one
 * WASM block (at most 1 GiB) and all of them, with the model's `modelBytes`, share wasm32's 4 GiB.
 */
export function checkRoom(modelBytes: number, arrays: [what: string, values: number][]): void {
  let bytes = modelBytes;
  for (const [what, values] of arrays) {
    if (4 * values > MAX_BLOCK_BYTES) {
      throw new RangeError(`${what} must fit one WASM block of at most ${MAX_BLOCK_BYTES / 4} values (1 GiB), got ${values} values`);
    }
    bytes += 4 * values;
  }
  if (bytes > MAX_MEMORY_BYTES) {
    throw new RangeError(`the data and the model need ${bytes} bytes of WASM memory; one instance holds at most ${MAX_MEMORY_BYTES} (4 GiB, wasm32)`);
  }
}

/** Per-feature mean and population standard deviation (1 where a feature is constant) of the first `rows` rows. */
export function featureStats(x: ArrayLike<number>, rows: number, d: number): FeatureStats {
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) mean[j]! += x[r * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= rows;
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) std[j]! += (x[r * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]! / rows) || 1;
  return { mean, std };
}

/** Copies rows [from, from + rows) of x (d values each) into `target` (WASM memory); features standardised with `stats`. */
export function writeFeatures(
  heap: Heap, target: WasmArray, x: Float32Array | readonly number[] | Int32Array, from: number, rows: number, d: number, stats: FeatureStats | null,
): void {
  const view = target.array;
  view.set(ArrayBuffer.isView(x) ? x.subarray(from * d, (from + rows) * d) : x.slice(from * d, (from + rows) * d));
  if (!stats) return;
  // the statistics as f64 in WASM memory: 2·d f32 slots each (blocks are 16-byte aligned)
  const mean = heap.alloc(2 * d, 'f32', 'features');
  const std = heap.alloc(2 * d, 'f32', 'features');
  try {
    const buffer = heap.exports.memory.buffer;
    new Float64Array(buffer, mean.ptr, d).set(stats.mean);
    new Float64Array(buffer, std.ptr, d).set(stats.std);
    heap.exports.standardize_f32(target.ptr, rows, d, mean.ptr, std.ptr);
  } finally {
    mean.free();
    std.free();
  }
}

/** The WASM type of a model's input rows: i32 token ids or f32 features. */
export function inputType(model: Model): 'i32' | 'f32' {
  return model.inputKind === 'index' ? 'i32' : 'f32';
}

/** Copies rows [from, to) of x (normalised with `stats`) and y into WASM memory. */
export function stage(heap: Heap, model: Model, data: CheckedData, from: number, to: number, stats: FeatureStats | null): Staged {
  const rows = to - from;
  const xs = heap.alloc(rows * model.inputSize, inputType(model), 'x length');
  let ys: WasmArray;
  try {
    writeFeatures(heap, xs, data.x, from, rows, model.inputSize, stats);
    const width = targetWidth(model, data.y instanceof Int32Array);
    ys = heap.alloc(rows * width, data.y instanceof Int32Array ? 'i32' : 'f32', 'y length');
    ys.array.set(data.y.subarray(from * width, to * width));
  } catch (error) {
    xs.free();
    throw error;
  }
  return { rows, x: xs, y: ys };
}

/** Frees a staged data set (x and y). */
export function freeStaged(data: Staged): void {
  data.x.free();
  data.y.free();
}
