// The coordinator's side of a data-parallel step. The batch is split into chunkCount(rows, threads,
// minRows) chunks; the coordinator claims and computes chunks like any shard worker, with the one gradient
// step every path uses, and adds the chunk gradients in chunk order as they arrive, each weighted by
// its share of the loss divisor: exactly the gradient of the whole batch's loss (up to float32
// rounding), and the same bits whichever thread computed which chunk.

import type { Network } from '../model/network.js';
import type { GradientStep, Staged } from '../train/step.js';
import { PassStats } from '../train/step.js';
import type { ParallelProfile } from '../train/types.js';
import type { WasmArray } from '../wasm/heap.js';
import type { ShardPool } from './pool.js';
import { multiplyAddsPerRow } from '../model/cost.js';
import { chunkCount, chunkRange, CONTROL_SLOTS, gradientOf, minChunkRows, STATS, type ShardBuffers, statsOf } from './protocol.js';

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class DataParallelStep {
  /** The whole batch's statistics after compute(). */
  readonly stats = new PassStats();
  /** A chunk gradient copied in from its shared slot, to be added. */
  readonly #incoming: WasmArray;
  /** The running weighted mean of the chunk gradients added so far. */
  readonly #sum: WasmArray;
  readonly #params: Float32Array;
  readonly #indices: Int32Array;
  readonly #shared: ShardBuffers;
  /** Σ divisor of the chunks added so far (the weight of #sum). */
  #divisor = 0;
  /** The last chunk has written the batch's gradient into the network's grads. */
  #done = false;
  /** Rows a chunk needs for this network (minChunkRows). */
  readonly #minRows: number;

  private constructor(readonly pool: ShardPool, readonly network: Network, shared: ShardBuffers, minRows: number, readonly time: ParallelProfile) {
    this.#shared = shared;
    this.#minRows = minRows;
    this.#incoming = network.heap.alloc(network.size, 'f32', 'gradients');
    try {
      this.#sum = network.heap.alloc(network.size, 'f32', 'gradients');
    } catch (error) {
      this.#incoming.free();
      throw error;
    }
    this.#params = new Float32Array(shared.params);
    this.#indices = new Int32Array(shared.indices);
  }

  /** Shares this fit's staged (normalised) training set with the shard workers and makes the step buffers. */
  static async begin(
    pool: ShardPool, network: Network, train: Staged, batchSize: number, classWeight: Float32Array | null, time: ParallelProfile,
  ): Promise<DataParallelStep> {
    const size = network.size;
    const minRows = minChunkRows(size, multiplyAddsPerRow(network.model));
    const chunks = chunkCount(batchSize, pool.shards, minRows);
    // a resident set's rows are shared once (and kept by the shard workers); arrays' rows per fit
    const rows = train.share?.() ?? pool.shareRows(train.x.array, train.y.array);
    const shared: ShardBuffers = {
      control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
      params: new SharedArrayBuffer(size * 4),
      grads: new SharedArrayBuffer(chunks * size * 4),
      stats: new SharedArrayBuffer(chunks * STATS * 8),
      ready: new SharedArrayBuffer(chunks * 4),
      indices: new SharedArrayBuffer(batchSize * 4),
      x: rows.x,
      xType: train.x.type,
      y: rows.y,
      yType: train.y.type,
      dataKey: rows.key,
      rows: train.rows,
      batchSize,
      classWeight,
      spin: pool.spin,
    };
    await pool.begin(shared);
    return new DataParallelStep(pool, network, shared, minRows, time);
  }

  /**
   * The gradient of the batch whose `rows` row indices are in `own.indices` into the network's grads;
   * returns the whole batch's statistics, with the penalty of the weights the step used.
   */
  async compute(own: GradientStep, train: Staged, rows: number, step: number): Promise<PassStats> {
    const network = this.network;
    const pool = this.pool;
    const size = network.size;
    const time = this.time;
    // a dead worker claims nothing, so this thread could finish every step alone: fail the fit
    // instead, so that the loss of a thread is never silent
    if (pool.dead) throw pool.dead;
    this.#params.set(network.params.array as Float32Array);
    this.#indices.set((own.indices.array as Int32Array).subarray(0, rows));
    const chunks = chunkCount(rows, pool.shards, this.#minRows);
    const generation = pool.dispatch(rows, step, chunks);
    this.stats.reset();
    this.#divisor = 0;
    this.#done = false;
    let added = 0;
    // the chunks already in their slots, in order (they arrive while the workers still compute)
    const addArrived = (below: number) => {
      while (added < below && pool.isReady(added, generation)) this.#add(added++, chunks);
    };
    for (let chunk = pool.claim(generation); chunk >= 0; chunk = pool.claim(generation)) {
      const t0 = now();
      const [start, end] = chunkRange(chunk, chunks, rows);
      (own.indices.array as Int32Array).set(this.#indices.subarray(start, end));
      const s = own.compute(train, end - start, step, start);
      statsOf(this.#shared, chunk).set([s.total, s.divisor, s.correct, s.counted, s.absSum]);
      const t1 = now();
      time.compute += t1 - t0;
      time.ownChunks++;
      addArrived(chunk);
      if (chunk === added) {
        this.#add(added++, chunks, network.grads);
      } else {
        // an earlier chunk is still being computed elsewhere: this one waits in its slot
        gradientOf(this.#shared, chunk, size).set(network.grads.array as Float32Array);
        pool.markReady(chunk, generation);
      }
      addArrived(chunks);
      time.combine += now() - t1;
    }
    while (added < chunks) {
      const t0 = now();
      await pool.ready(added, generation);
      const t1 = now();
      this.#add(added++, chunks);
      time.wait += t1 - t0;
      time.combine += now() - t1;
    }
    if (pool.dead) throw pool.dead;
    const t2 = now();
    if (!this.#done) {
      const grads = network.grads.array as Float32Array;
      if (this.#divisor > 0) grads.set(this.#sum.array as Float32Array);
      else grads.fill(0);
    }
    this.stats.penalty = network.penalty();
    time.steps++;
    time.chunks += chunks;
    time.combine += now() - t2; // the trainer adds its update's time
    return this.stats;
  }

  /**
   * Adds chunk `chunk` of `chunks` (its statistics from its slot, its gradient from `gradient` or
   * else from its slot) to the batch's statistics and to the running weighted mean of the
   * gradients, which the last chunk writes straight into the network's grads.
   */
  #add(chunk: number, chunks: number, gradient?: WasmArray): void {
    const s = statsOf(this.#shared, chunk);
    const stats = this.stats;
    stats.total += s[0]!;
    stats.divisor += s[1]!;
    stats.correct += s[2]!;
    stats.counted += s[3]!;
    stats.absSum += s[4]!;
    const divisor = s[1]!;
    if (!(divisor > 0)) return; // no loss in this chunk (every row weighted 0)
    const network = this.network;
    const target = chunk === chunks - 1 ? network.grads : this.#sum;
    this.#done = target === network.grads;
    const before = this.#divisor;
    const after = before + divisor;
    this.#divisor = after;
    if (!gradient) {
      const slot = gradientOf(this.#shared, chunk, network.size);
      if (before === 0) {
        (target.array as Float32Array).set(slot);
        return;
      }
      (this.#incoming.array as Float32Array).set(slot);
      gradient = this.#incoming;
    }
    if (before === 0) {
      if (gradient !== target) (target.array as Float32Array).set(gradient.array as Float32Array);
    } else {
      // (before · sum + divisor · gradient) / after
      network.heap.exports.weighted_sum_f32(target.ptr, before / after, this.#sum.ptr, divisor / after, gradient.ptr, network.size);
    }
  }

  /** Ends the shard workers' part of this fit and frees the step buffers. */
  async end(): Promise<void> {
    this.#incoming.free();
    this.#sum.free();
    await this.pool.end();
  }
}
