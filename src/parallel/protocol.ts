// Data-parallel training: what the trainer's worker (the coordinator) and its shard workers share.
// Every array lives in a SharedArrayBuffer; no message carries arrays during training.
//
// A step splits the batch into a fixed number of chunks (chunkCount: a function of the batch size,
// the number of threads and the model only). The coordinator bumps GENERATION and notifies; then every thread,
// the coordinator included, claims the next unclaimed chunk (claimChunk) until none is left, so a
// faster thread computes more chunks. A shard worker writes its chunk's gradient and statistics into
// that chunk's slot, marks READY[chunk] with the generation and increments DONE (the coordinator's
// wake-up). The coordinator adds the chunk gradients in chunk order, whoever computed them, so a
// step's result depends on the batch and the number of threads, never on timing: runs are
// bit-identical.

/** Slots of the control array (Int32). */
export const GENERATION = 0;
export const DONE = 1;
export const COMMAND = 2;
export const ROWS = 3;
export const STEP = 4;
export const FAILED = 5;
/** The next chunk to claim, packed with the generation it belongs to (see claimChunk). */
export const NEXT = 6;
/** Chunks in this step's batch. */
export const CHUNKS = 7;
export const CONTROL_SLOTS = 8;

/**
 * Chunks per thread in a batch, at most: more chunks balance the threads better when one runs
 * slower (another program, a slower core); each chunk costs a copy and an addition of its gradient.
 */
export const CHUNKS_PER_THREAD = 4;

/**
 * Rows a chunk needs so that copying and adding its gradient stays near 2 % of computing it:
 * measured on the MLP 784-256-256-10, a chunk costs 0.55 ns per parameter and a row 0.14 ns per
 * multiply-add (forward and backward), so 200 · parameters / multiply-adds per row
 * (bench/results/2026-12-02-parallel.md). A dense network needs about 200 rows a chunk; a
 * convolutional one, whose weights are reused at every position, a few.
 */
export function minChunkRows(parameters: number, multiplyAddsPerRow: number): number {
  return Math.max(1, Math.ceil((200 * parameters) / Math.max(1, multiplyAddsPerRow)));
}

/**
 * Chunks of a batch of `rows` rows split across `threads` threads: as many as CHUNKS_PER_THREAD
 * per thread allows with at least `minRows` rows each, but always one per thread (when the batch
 * has the rows).
 */
export function chunkCount(rows: number, threads: number, minRows: number): number {
  const wanted = Math.max(threads, Math.min(threads * CHUNKS_PER_THREAD, Math.floor(rows / minRows)));
  return Math.min(rows, wanted);
}

/** The NEXT value that opens the chunks of `generation` (the claim counter starts at chunk 0). */
export function firstClaim(generation: number): number {
  return (generation & 0x7fff) << 16;
}

/**
 * Claims the next chunk of step `generation`, or returns −1 when its chunks are all claimed or the
 * coordinator has moved on to a later step (a worker that woke late claims nothing of the old one).
 * The generation travels with the counter, so a claim can never take a chunk of the next step.
 */
export function claimChunk(control: Int32Array, generation: number): number {
  const tag = generation & 0x7fff;
  for (;;) {
    const next = Atomics.load(control, NEXT);
    const chunk = next & 0xffff;
    if (next >>> 16 !== tag || chunk >= Atomics.load(control, CHUNKS)) return -1;
    if (Atomics.compareExchange(control, NEXT, next, next + 1) === next) return chunk;
  }
}

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

/** Per-chunk statistics (Float64): loss total, divisor, correct, counted, |error| sum. */
export const STATS = 5;

/** The shared memory of one fit. */
export interface ShardBuffers {
  control: SharedArrayBuffer;
  /** Current parameters (Float32, P). */
  params: SharedArrayBuffer;
  /** One gradient slot per chunk (Float32, chunkCount(batch size, n) × P). */
  grads: SharedArrayBuffer;
  /** One STATS block per chunk (Float64). */
  stats: SharedArrayBuffer;
  /** Per chunk: the generation whose gradient its slot holds (Int32). */
  ready: SharedArrayBuffer;
  /** The batch's row indices into the training set (Int32, batch size). */
  indices: SharedArrayBuffer;
  /** The training set, already normalised (Float32 features or Int32 token ids, rows × inputSize; the buffer may be longer). */
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

/** Rows [start, end) of chunk `k` of `n` in a batch of `rows` (as even as possible, in order). */
export function chunkRange(k: number, n: number, rows: number): [number, number] {
  return [Math.floor((k * rows) / n), Math.floor(((k + 1) * rows) / n)];
}

/** The statistics slot of chunk `k`. */
export function statsOf(buffers: ShardBuffers, k: number): Float64Array {
  return new Float64Array(buffers.stats, k * STATS * 8, STATS);
}

/** The gradient slot of chunk `k` (P = `size` floats). */
export function gradientOf(buffers: ShardBuffers, k: number, size: number): Float32Array {
  return new Float32Array(buffers.grads, k * size * 4, size);
}
