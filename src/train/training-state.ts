// Everything a trainer trains: the network, the optimizer over its trainable tensors, the schedule,
// the counters and the kept history, with the one optimizer step every path applies (fit, the
// data-parallel coordinator's batches, the LR finder's fits) and its NaN guard. Checkpoints are made
// from it and restored into it; freezing and unfreezing layers between fits happens here.

import { type CheckpointState, encodeCheckpoint } from '../io/checkpoint.js';
import { Network } from '../model/network.js';
import { type Model, scheduleOf, specWithTrainable } from '../model/spec.js';
import type { TransformState } from '../optim/transform.js';
import type { Schedule } from '../schedules.js';
import type { Heap } from '../wasm/heap.js';
import { Inference } from './inference.js';
import { OptimizerTarget } from './optimizer-target.js';
import type { EpochLog } from './types.js';

/** Epoch logs a trainer (and its checkpoints) keep: the latest 100, about 15 KB of JSON. */
export const HISTORY_KEPT = 100;

export class TrainingState {
  readonly network: Network;
  /** predict, evaluate, summary and weights; it holds the normalisation statistics. */
  readonly inference: Inference;
  schedule: Schedule;
  /** Optimizer steps taken and epochs completed (across fit calls). */
  step = 0;
  epoch = 0;
  /** The last HISTORY_KEPT epoch logs (carried by checkpoints, so a file does not grow with training time). */
  history: EpochLog[] = [];
  #target: OptimizerTarget;
  #optimizer: TransformState;
  /** The states (batchnorm's running statistics) before the current step's forward pass, for the NaN guard. */
  readonly #statesBefore: Float32Array | null;

  constructor(readonly model: Model, readonly heap: Heap) {
    this.network = new Network(heap, model);
    this.#target = new OptimizerTarget(this.network);
    this.#optimizer = model.optimizer.init(this.#target.flat);
    this.inference = new Inference(model, this.network, 4 * this.network.size * (2 + this.#optimizer.slots.size));
    this.schedule = scheduleOf(model);
    this.#statesBefore = this.network.stateSegments.length > 0 ? new Float32Array(this.network.states.length) : null;
  }

  /** The optimizer's slot names (exp_avg, …), whichever tensors train. */
  get slotNames(): string[] {
    return [...this.#optimizer.slots.keys()];
  }

  /** Values the optimizer updates (the trainable tensors'). */
  get trainableSize(): number {
    return this.#target.size;
  }

  /** The gradient of the trainable tensors, in the optimizer's layout (after `gatherGradient`). */
  gatherGradient(): { ptr: number; length: number } {
    this.#target.gather();
    return this.#target.flat.grads;
  }

  /** Call before a training step's forward pass: it may move running statistics that a non-finite step must undo. */
  beginStep(): void {
    this.#statesBefore?.set(this.network.states.array as Float32Array);
  }

  /**
   * The optimizer step with the gradient in the network's grads; returns its learning rate, or null
   * when `loss` or the gradient is not finite: then nothing is applied and the running statistics
   * go back to where beginStep() found them (the NaN guard: the state of the last finite step).
   */
  applyGradient(loss: number): number | null {
    const grads = this.gatherGradient();
    const gradNormSquared = this.heap.exports.sum_squares_f32(grads.ptr, grads.length);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNormSquared)) {
      if (this.#statesBefore) (this.network.states.array as Float32Array).set(this.#statesBefore);
      return null;
    }
    const lr = this.schedule.valueAt(this.step);
    this.step++;
    this.#optimizer.update(this.step, lr);
    this.#target.scatter();
    return lr;
  }

  /** Adds an epoch's log to the kept history. */
  record(log: EpochLog): void {
    this.history.push(log);
    if (this.history.length > HISTORY_KEPT) this.history.splice(0, this.history.length - HISTORY_KEPT);
  }

  /**
   * Freezes (false) or unfreezes layer `index`. The optimizer then covers the new set of trainable
   * tensors: a tensor that stays trainable keeps its slots, a newly trainable one starts from zero
   * slots (as a torch parameter without optimizer state yet), a frozen one has none.
   */
  setTrainable(index: number, trainable: boolean): void {
    if (this.network.isTrainable(index) === trainable) return;
    const before = this.#slotsByTensor();
    const scalars = this.#optimizer.scalars;
    this.#optimizer.free();
    this.#target.free();
    this.network.setTrainable(index, trainable);
    this.#target = new OptimizerTarget(this.network);
    this.#optimizer = this.model.optimizer.init(this.#target.flat);
    this.#optimizer.scalars = scalars;
    for (const [slot, array] of this.#optimizer.slots) {
      for (const s of this.#target.segments) {
        const values = before.get(slot)?.get(s.name);
        if (values) (array.array as Float32Array).set(values, s.offset);
      }
    }
  }

  /** Per slot, per trainable tensor: its values (copied). */
  #slotsByTensor(): Map<string, Map<string, Float32Array>> {
    const slots = new Map<string, Map<string, Float32Array>>();
    for (const [slot, array] of this.#optimizer.slots) {
      const values = array.array as Float32Array;
      slots.set(slot, new Map(this.#target.segments.map((s) => [s.name, values.slice(s.offset, s.offset + s.length)])));
    }
    return slots;
  }

  /** Per layer: whether its tensors train now. */
  trainableFlags(): boolean[] {
    return this.model.layers.map((_layer, l) => this.network.isTrainable(l));
  }

  /** The whole training state, copied (for a checkpoint, or to put back later). */
  snapshot(): CheckpointState {
    const network = this.network;
    return {
      spec: specWithTrainable(this.model.spec, this.trainableFlags()),
      segments: network.segments,
      params: (network.params.array as Float32Array).slice(),
      stateSegments: network.stateSegments,
      states: (network.states.array as Float32Array).slice(),
      slotSegments: this.#target.segments,
      slots: new Map([...this.#optimizer.slots].map(([name, slot]) => [name, (slot.array as Float32Array).slice()])),
      optimizerScalars: { ...this.#optimizer.scalars },
      step: this.step,
      epoch: this.epoch,
      scheduleState: { ...this.schedule.state },
      normalization: this.inference.normalization,
      history: this.history.map((log) => ({ ...log })),
      trainable: this.trainableFlags(),
    };
  }

  /** The whole training state as checkpoint bytes. */
  checkpoint(): Uint8Array {
    return encodeCheckpoint(this.snapshot());
  }

  /** Puts back a whole training state (from snapshot() or a checkpoint, already checked), its trainable layers included. */
  restore(state: Omit<CheckpointState, 'spec' | 'segments' | 'stateSegments' | 'slotSegments'>): void {
    state.trainable.forEach((trainable, l) => this.setTrainable(l, trainable));
    (this.network.params.array as Float32Array).set(state.params);
    (this.network.states.array as Float32Array).set(state.states);
    for (const [name, values] of state.slots) this.#optimizer.slots.get(name)!.array.set(values);
    this.#optimizer.scalars = state.optimizerScalars;
    this.step = state.step;
    this.epoch = state.epoch;
    this.schedule.state = state.scheduleState;
    this.inference.normalization = state.normalization;
    this.history = state.history;
  }

  /** Frees the optimizer state and the network. */
  free(): void {
    this.#optimizer.free();
    this.#target.free();
    this.network.free();
  }
}
