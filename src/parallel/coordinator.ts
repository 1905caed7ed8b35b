// The coordinator's side of a data-parallel step: it computes shard 0 of each batch itself with
// the one gradient step every path uses, while the shard workers compute theirs; the gradients are
// then combined in shard order, each weighted by its share of the loss divisor, which is exactly
// the gradient of the whole batch's loss (up to float32 rounding).

import type { Network } from '../model/network.js';
import type { GradientStep, Staged } from '../train/step.js';
import { PassStats } from '../train/step.js';
import type { ParallelProfile } from '../train/types.js';
import { toShared } from '../worker/shared-memory.js';
import type { WasmArray } from '../wasm/heap.js';
import type { ShardPool } from './pool.js';
import { CONTROL_SLOTS, STATS, type ShardBuffers, shardRange, statsOf } from './protocol.js';

/** Where data-parallel steps spend their time (ms, summed): own shard, waiting for the others, combining and the update. */


const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class DataParallelStep {
  /** The whole batch's statistics after compute(). */
  readonly stats = new PassStats();
  readonly #incoming: WasmArray;
  readonly #params: Float32Array;
  readonly #indices: Int32Array;
  /** Per shard worker: its statistics and its gradient slot in shared memory. */
  readonly #workerStats: Float64Array[] = [];
  readonly #workerGrads: Float32Array[] = [];

  private constructor(readonly pool: ShardPool, readonly network: Network, shared: ShardBuffers, readonly time: ParallelProfile) {
    this.#incoming = network.heap.alloc(network.size, 'f32', 'gradients');
    this.#params = new Float32Array(shared.params);
    this.#indices = new Int32Array(shared.indices);
    for (let w = 1; w < pool.shards; w++) {
      this.#workerStats.push(statsOf(shared, w));
      this.#workerGrads.push(new Float32Array(shared.grads, (w - 1) * network.size * 4, network.size));
    }
  }

  /** Shares this fit's staged (normalised) training set with the shard workers and makes the step buffers. */
  static async begin(
    pool: ShardPool, network: Network, train: Staged, batchSize: number, classWeight: Float32Array | null, time: ParallelProfile,
  ): Promise<DataParallelStep> {
    const size = network.size;
    const helpers = pool.shards - 1;
    // a resident set's rows are shared once (and kept by the shard workers); arrays' rows per fit
    const rows = train.share?.() ?? { key: null, x: toShared(train.x.array).buffer as SharedArrayBuffer, y: toShared(train.y.array).buffer as SharedArrayBuffer };
    const shared: ShardBuffers = {
      control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
      params: new SharedArrayBuffer(size * 4),
      grads: new SharedArrayBuffer(helpers * size * 4),
      stats: new SharedArrayBuffer(helpers * STATS * 8),
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
    return new DataParallelStep(pool, network, shared, time);
  }

  /**
   * The gradient of the batch whose `rows` row indices are in `own.indices` into the network's grads;
   * returns the whole batch's statistics, with the penalty of the weights the step used.
   */
  async compute(own: GradientStep, train: Staged, rows: number, step: number): Promise<PassStats> {
    const network = this.network;
    const k = network.heap.exports;
    const pool = this.pool;
    this.#params.set(network.params.array as Float32Array);
    this.#indices.set((own.indices.array as Int32Array).subarray(0, rows));
    const t0 = now();
    pool.dispatch(rows, step);
    const [, ownRows] = shardRange(0, pool.shards, rows);
    const stats = this.stats.reset();
    if (ownRows > 0) stats.add(own.compute(train, ownRows, step, 0));
    const ownDivisor = stats.divisor;
    const t1 = now();
    await pool.collect();
    const t2 = now();
    for (const s of this.#workerStats) {
      stats.total += s[0]!;
      stats.divisor += s[1]!;
      stats.correct += s[2]!;
      stats.counted += s[3]!;
      stats.absSum += s[4]!;
    }
    // grads = Σ_k (divisor_k / divisor) · grads_k, in shard order (deterministic)
    const grads = network.grads;
    if (ownRows === 0) (grads.array as Float32Array).fill(0);
    let ownWeight = ownRows > 0 ? ownDivisor / stats.divisor : 0;
    for (let w = 0; w < this.#workerStats.length; w++) {
      const divisor = this.#workerStats[w]![1]!;
      if (!(divisor > 0)) continue;
      (this.#incoming.array as Float32Array).set(this.#workerGrads[w]!);
      k.scale_add_f32(grads.ptr, ownWeight, this.#incoming.ptr, divisor / stats.divisor, network.size);
      ownWeight = 1;
    }
    stats.penalty = network.penalty();
    const time = this.time;
    time.steps++;
    time.compute += t1 - t0;
    time.wait += t2 - t1;
    time.combine += now() - t2; // the trainer adds its update's time
    return stats;
  }

  /** Ends the shard workers' part of this fit and frees the step buffers. */
  async end(): Promise<void> {
    this.#incoming.free();
    await this.pool.end();
  }
}
