// Data-parallel training: what the trainer's worker (the coordinator, which computes shard 0 itself)
// and its shard workers share. Every array lives in a SharedArrayBuffer; each step is one round of
// Atomics: the coordinator bumps GENERATION and notifies, every shard worker computes the gradient
// of its rows and increments DONE. No message carries arrays during training.

/** Slots of the control array (Int32). */
export const GENERATION = 0;
export const DONE = 1;
export const COMMAND = 2;
export const ROWS = 3;
export const STEP = 4;
export const FAILED = 5;
export const CONTROL_SLOTS = 8;

/** Commands. */
export const COMPUTE = 1;
export const EXIT = 2;

/** Per-shard statistics (Float64): loss total, divisor, correct, counted, |error| sum. */
export const STATS = 5;

/** The shared memory of one fit. */
export interface ShardBuffers {
  control: SharedArrayBuffer;
  /** Current parameters (Float32, P). */
  params: SharedArrayBuffer;
  /** One gradient slot per shard worker (Float32, (n − 1) × P). */
  grads: SharedArrayBuffer;
  /** One STATS block per shard worker (Float64). */
  stats: SharedArrayBuffer;
  /** The batch's row indices into the training set (Int32, batch size). */
  indices: SharedArrayBuffer;
  /** The training set, already normalised (Float32 features or Int32 token ids, rows × inputSize). */
  x: SharedArrayBuffer;
  xType: 'i32' | 'f32';
  /** Names rows that stay put (a resident set): a shard worker that holds them already copies nothing. */
  dataKey: string | null;
  /** Its targets (Int32 class indices or Float32 rows). */
  y: SharedArrayBuffer;
  yType: 'i32' | 'f32';
  rows: number;
  batchSize: number;
  classWeight: Float32Array | null;
}

/** Rows [start, end) of shard `k` of `n` in a batch of `rows` (as even as possible, in order). */
export function shardRange(k: number, n: number, rows: number): [number, number] {
  return [Math.floor((k * rows) / n), Math.floor(((k + 1) * rows) / n)];
}

/** Per-shard statistics of shard worker `k` (1-based). */
export function statsOf(buffers: ShardBuffers, k: number): Float64Array {
  return new Float64Array(buffers.stats, (k - 1) * STATS * 8, STATS);
}
