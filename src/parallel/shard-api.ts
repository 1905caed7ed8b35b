// The object a shard worker exposes: a Trainer built from the same spec, used only to compute the
// gradient of its rows of each batch. `run` blocks this worker in Atomics.wait between steps (it
// answers no other message until the coordinator sends EXIT at the end of the fit).

import { Trainer } from '../train/trainer.js';
import type { TrainerSpec } from '../model/spec.js';
import { COMMAND, COMPUTE, CONTROL_SLOTS, DONE, EXIT, FAILED, GENERATION, ROWS, STATS, STEP, type ShardBuffers, shardRange } from './protocol.js';

export function shardApi() {
  let trainer: Trainer | null = null;
  let fit: { buffers: ShardBuffers; shard: number; shards: number } | null = null;
  return {
    async init(spec: TrainerSpec, options: { simd?: boolean }): Promise<void> {
      trainer = await Trainer.create(spec, options);
    },
    /** Copies this fit's training set into the worker's WASM memory. */
    begin(buffers: ShardBuffers, shard: number, shards: number): void {
      if (!trainer) throw new Error('shard worker is not initialised');
      const x = new Float32Array(buffers.x);
      const y = buffers.yType === 'i32' ? new Int32Array(buffers.y) : new Float32Array(buffers.y);
      trainer._shardBegin(x, y, buffers.rows, buffers.batchSize, buffers.classWeight);
      fit = { buffers, shard, shards };
    },
    /** Serves steps until EXIT; `seen` is the generation the coordinator had when it started this. */
    run(seen: number): void {
      if (!trainer || !fit) throw new Error('shard worker has no fit to serve');
      const { buffers, shard, shards } = fit;
      const control = new Int32Array(buffers.control, 0, CONTROL_SLOTS);
      const params = new Float32Array(buffers.params);
      const size = params.length;
      const grads = new Float32Array(buffers.grads, (shard - 1) * size * 4, size);
      const stats = new Float64Array(buffers.stats, (shard - 1) * STATS * 8, STATS);
      const indices = new Int32Array(buffers.indices);
      try {
        for (;;) {
          Atomics.wait(control, GENERATION, seen);
          const generation = Atomics.load(control, GENERATION);
          if (generation === seen) continue;
          seen = generation;
          const command = Atomics.load(control, COMMAND);
          if (command === EXIT) return;
          if (command !== COMPUTE) continue;
          try {
            const [start, end] = shardRange(shard, shards, control[ROWS]!);
            const result = trainer._shardGradient(params, indices.subarray(start, end), start, control[STEP]!);
            grads.set(result.grads);
            stats.set([result.total, result.divisor, result.correct, result.counted, result.absSum]);
          } catch {
            Atomics.store(control, FAILED, shard);
          }
          Atomics.add(control, DONE, 1);
          Atomics.notify(control, DONE);
        }
      } finally {
        trainer._shardEnd();
        fit = null;
      }
    },
    async dispose(): Promise<void> {
      await trainer?.dispose();
      trainer = null;
    },
  };
}

export type ShardApi = ReturnType<typeof shardApi>;
