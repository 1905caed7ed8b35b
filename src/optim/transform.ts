// Optimizers as optax-style gradient transformations: `init` allocates state beside the flat
// parameter buffer, `update` runs one step's kernels. Transforms compose with `chain`; clipping and
// weight decay are transforms like any other, and the last one in a chain applies the step to the
// parameters.

import type { Heap, WasmArray } from '../wasm/heap.js';

/** One named tensor's range inside the flat parameter buffer (LAMB's trust ratio is per tensor). */
export interface Segment {
  name: string;
  offset: number;
  length: number;
  /** The tensor's shape ([out, in] for weights, [out] for biases). */
  shape: number[];
}

/** The flat parameter and gradient buffers of a model, in one instance's memory. */
export interface FlatParams {
  heap: Heap;
  params: WasmArray;
  grads: WasmArray;
  segments: readonly Segment[];
}

/** The live state of a transform for one parameter buffer. */
export interface TransformState {
  /** Runs step `t` (1-based) with learning rate `lr` on the gradient (and, for optimizers, the parameters). */
  update(t: number, lr: number): void;
  /** State arrays by slot name (torch's names: exp_avg, exp_avg_sq, momentum_buffer, …). */
  readonly slots: ReadonlyMap<string, WasmArray>;
  /** Scalar state beside the slots (NAdam's mu_product); empty for most transforms. */
  scalars: Record<string, number>;
  /** Frees the slots. */
  free(): void;
}

/** A gradient transformation: `init` binds it to a parameter buffer. */
export interface Transform {
  readonly name: string;
  init(target: FlatParams): TransformState;
}

/** Slots allocated zero-filled with the parameters' length. */
export function allocateSlots(target: FlatParams, names: readonly string[]): Map<string, WasmArray> {
  const slots = new Map<string, WasmArray>();
  for (const name of names) {
    const slot = target.heap.alloc(target.params.length, 'f32', `optimizer slot ${name}`);
    slot.array.fill(0);
    slots.set(name, slot);
  }
  return slots;
}

/** State of a transform whose slots are all in `slots` and whose update is `step`. */
export function simpleState(
  slots: Map<string, WasmArray>, step: (t: number, lr: number) => void, scalars: Record<string, number> = {},
): TransformState {
  return {
    update: step,
    slots,
    scalars,
    free() {
      for (const slot of slots.values()) slot.free();
    },
  };
}

/** Applies transforms in order; slot names are prefixed by position when two would collide. */
export function chain(...transforms: Transform[]): Transform {
  return {
    name: transforms.map((t) => t.name).join(' → '),
    init(target) {
      const states = transforms.map((t) => t.init(target));
      const slots = new Map<string, WasmArray>();
      states.forEach((state, i) => {
        for (const [name, slot] of state.slots) slots.set(slots.has(name) ? `${i}.${name}` : name, slot);
      });
      const scalars: Record<string, number> = {};
      return {
        update(t, lr) {
          for (const state of states) state.update(t, lr);
        },
        slots,
        get scalars() {
          states.forEach((state) => Object.assign(scalars, state.scalars));
          return scalars;
        },
        set scalars(values: Record<string, number>) {
          for (const state of states) {
            for (const key of Object.keys(state.scalars)) if (key in values) state.scalars[key] = values[key]!;
          }
        },
        free() {
          for (const state of states) state.free();
        },
      };
    },
  };
}
