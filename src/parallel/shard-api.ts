// The object a shard worker exposes: the network of the spec, without optimizer or trainer, used
// only to compute the gradients of the chunks of each batch it claims, with the one gradient step
// every path uses. `run` blocks this worker in Atomics.wait between steps (it answers no other
// message until the coordinator sends EXIT at the end of the fit).

import { Network } from '../model/network.js';
import { modelFromSpec, targetWidth, type TrainerSpec } from '../model/spec.js';
import { bindLoss, GradientStep, type Staged } from '../train/step.js';
import { Heap } from '../wasm/heap.js';
import { loadKernels } from '../wasm/load.js';
import type { Build } from '../wasm/builds.js';
import {
  CHUNKS, chunkRange, claimChunk, COMMAND, COMPUTE, CONTROL_SLOTS, DONE, EXIT, FAILED, GENERATION, gradientOf, ROWS, type ShardBuffers,
  spinWhile, statsOf, STEP,
} from './protocol.js';

/** One fit's state in a shard worker: its copy of the training set and its gradient step. */
interface ShardFit {
  buffers: ShardBuffers;
  /** This worker's number (1-based), named in its errors. */
  shard: number;
  train: Staged;
  step: GradientStep;
}

export function shardApi() {
  let network: Network | null = null;
  let fit: ShardFit | null = null;
  /** The rows of a resident set, kept across fits under their key. */
  let kept: { key: string; train: Staged } | null = null;
  const freeRows = (train: Staged) => {
    train.x.free();
    train.y.free();
  };
  const endFit = () => {
    if (!fit) return;
    fit.step.loss.free();
    fit.step.free();
    if (fit.train !== kept?.train) freeRows(fit.train);
    fit = null;
  };
  return {
    async init(spec: TrainerSpec, options: { build?: Build }): Promise<void> {
      const model = modelFromSpec(spec);
      const kernels = await loadKernels(options.build === undefined ? {} : { build: options.build });
      network = new Network(new Heap(kernels.raw), model);
    },
    /** Copies this fit's training set (already normalised) into the worker's WASM memory. */
    begin(buffers: ShardBuffers, shard: number): void {
      if (!network) throw new Error('shard worker is not initialised');
      endFit();
      buffers.trainable.forEach((trainable, l) => network!.setTrainable(l, trainable));
      const heap = network.heap;
      let train: Staged;
      if (buffers.dataKey !== null && kept?.key === buffers.dataKey) {
        train = kept.train;
      } else {
        // the buffers may be longer than the rows (they are reused from fit to fit: ShardPool.shareRows)
        const model = network.model;
        const xLength = buffers.rows * model.inputSize;
        const yLength = buffers.rows * targetWidth(model, buffers.yType === 'i32');
        const x = heap.copyIn(buffers.xType === 'i32' ? new Int32Array(buffers.x, 0, xLength) : new Float32Array(buffers.x, 0, xLength), buffers.xType, 'shard');
        let y;
        try {
          y = heap.copyIn(buffers.yType === 'i32' ? new Int32Array(buffers.y, 0, yLength) : new Float32Array(buffers.y, 0, yLength), buffers.yType, 'shard');
        } catch (error) {
          x.free();
          throw error;
        }
        train = { rows: buffers.rows, x, y };
        if (buffers.dataKey !== null) {
          if (kept) freeRows(kept.train);
          kept = { key: buffers.dataKey, train };
        }
      }
      const loss = bindLoss(heap, network.model, buffers.yType === 'i32', buffers.batchSize, buffers.classWeight);
      fit = { buffers, shard, train, step: new GradientStep(network, loss, buffers.batchSize) };
    },
    /** Serves steps until EXIT (or a step fails: then rejects with its error); `seen` is the generation the coordinator had when it started this. */
    run(seen: number): void {
      if (!network || !fit) throw new Error('shard worker has no fit to serve');
      const { buffers, shard, train, step } = fit;
      const control = new Int32Array(buffers.control, 0, CONTROL_SLOTS);
      const params = new Float32Array(buffers.params);
      const ready = new Int32Array(buffers.ready);
      const indices = new Int32Array(buffers.indices);
      try {
        for (;;) {
          if (!buffers.spin || !spinWhile(control, GENERATION, seen)) Atomics.wait(control, GENERATION, seen);
          const generation = Atomics.load(control, GENERATION);
          if (generation === seen) continue;
          seen = generation;
          const command = Atomics.load(control, COMMAND);
          if (command === EXIT) return;
          if (command !== COMPUTE) continue;
          // Read before the first claim: once a claim succeeds, the coordinator cannot be writing the
          // next step's parameters (it waits for every chunk of this one).
          const rows = control[ROWS]!;
          const chunks = control[CHUNKS]!;
          const optimizerStep = control[STEP]!;
          (network.params.array as Float32Array).set(params);
          for (let chunk = claimChunk(control, generation); chunk >= 0; chunk = claimChunk(control, generation)) {
            try {
              const [start, end] = chunkRange(chunk, chunks, rows);
              (step.indices.array as Int32Array).set(indices.subarray(start, end));
              const s = step.compute(train, end - start, optimizerStep, start);
              gradientOf(buffers, chunk, params.length).set(network.grads.array as Float32Array);
              statsOf(buffers, chunk).set([s.total, s.divisor, s.correct, s.counted, s.absSum]);
            } catch (error) {
              // the coordinator fails the fit and reads this error from run()'s rejection
              Atomics.store(control, FAILED, shard);
              Atomics.add(control, DONE, 1);
              Atomics.notify(control, DONE);
              throw error;
            }
            Atomics.store(ready, chunk, generation);
            Atomics.add(control, DONE, 1);
            Atomics.notify(control, DONE);
          }
        }
      } finally {
        endFit();
      }
    },
    async dispose(): Promise<void> {
      endFit();
      if (kept) freeRows(kept.train);
      kept = null;
      network?.free();
      network = null;
    },
  };
}

export type ShardApi = ReturnType<typeof shardApi>;
