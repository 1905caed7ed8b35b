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

/**
 * How long (ms) a waiting side spins on the control array before it sleeps: between steps a shard
 * worker waits only for the coordinator's combine and update (about 1 ms), and a sleeping thread of a
 * virtual machine takes up to milliseconds to wake (the futex wake-up is an inter-processor interrupt
 * to a halted virtual CPU). Spinning only where every thread has a core of its own (`spin` in
 * ShardBuffers); otherwise it would take the core from a thread that computes.
 */
export const SPIN_MS = 4;

/** Spins while `array[index]` is `value`, at most SPIN_MS; returns whether it changed. */
export function spinWhile(array: Int32Array, index: number, value: number): boolean {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(array, index) === value) {
    if (performance.now() > until) return false;
  }
  return true;
}

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
  /** Spin before sleeping (every thread of the fit has a core of its own): see SPIN_MS. */
  spin: boolean;
}

/** Rows [start, end) of shard `k` of `n` in a batch of `rows` (as even as possible, in order). */
export function shardRange(k: number, n: number, rows: number): [number, number] {
  return [Math.floor((k * rows) / n), Math.floor(((k + 1) * rows) / n)];
}

/** Per-shard statistics of shard worker `k` (1-based). */
export function statsOf(buffers: ShardBuffers, k: number): Float64Array {
  return new Float64Array(buffers.stats, (k - 1) * STATS * 8, STATS);
}
