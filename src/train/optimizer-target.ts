// What the optimizer updates: the trainable tensors only, so frozen ones get no slots and no
// update. When they lie in one flat range (everything trainable, or a frozen prefix: a base and a
// new head) the optimizer works on views of the network's buffers in place; otherwise it works on
// compact copies, gathered before each update and scattered back after.

import type { Network } from '../model/network.js';
import type { FlatParams, Segment } from '../optim/transform.js';
import { type Heap, WasmArray } from '../wasm/heap.js';
import { copyFloats } from '../model/layers/layer.js';

/** A range of the network's flat buffers and where it sits in the optimizer's compact layout. */
interface Range {
  offset: number;
  length: number;
  at: number;
}

export class OptimizerTarget {
  /** The optimizer's buffers (views or compact copies; empty when nothing trains) and its segments, offsets in that layout. */
  readonly flat: FlatParams;
  /** The trainable tensors, offsets in the optimizer's layout (checkpoints store their slots by these). */
  readonly segments: readonly Segment[];
  readonly #ranges: Range[];
  /** Compact copies: only when the trainable tensors lie in several ranges. */
  readonly #compact: boolean;

  constructor(readonly network: Network) {
    const heap: Heap = network.heap;
    let at = 0;
    this.#ranges = network.trainableRanges().map(({ offset, length }) => {
      const range = { offset, length, at };
      at += length;
      return range;
    });
    this.segments = network.slotSegments();
    this.#compact = this.#ranges.length > 1;
    if (!this.#compact) {
      const start = (this.#ranges[0]?.offset ?? 0) * 4;
      this.flat = {
        heap, segments: this.segments,
        params: new WasmArray(heap, network.params.ptr + start, at, 'f32'),
        grads: new WasmArray(heap, network.grads.ptr + start, at, 'f32'),
      };
    } else {
      const params = heap.alloc(at, 'f32', 'trainable parameters');
      let grads;
      try {
        grads = heap.alloc(at, 'f32', 'trainable parameters');
      } catch (error) {
        params.free();
        throw error;
      }
      this.flat = { heap, segments: this.segments, params, grads };
    }
  }

  /** Trainable values (0 when everything is frozen). */
  get size(): number {
    return this.flat.params.length;
  }

  /** Brings the gradient (and the parameters) into the optimizer's layout. */
  gather(): void {
    if (!this.#compact) return;
    const k = this.network.heap.exports;
    const { params, grads } = this.flat;
    for (const r of this.#ranges) {
      copyFloats(k, this.network.grads.ptr + 4 * r.offset, grads.ptr + 4 * r.at, r.length);
      copyFloats(k, this.network.params.ptr + 4 * r.offset, params.ptr + 4 * r.at, r.length);
    }
  }

  /** Puts the updated parameters back into the network. */
  scatter(): void {
    if (!this.#compact) return;
    const k = this.network.heap.exports;
    for (const r of this.#ranges) copyFloats(k, this.flat.params.ptr + 4 * r.at, this.network.params.ptr + 4 * r.offset, r.length);
  }

  /** Frees the compact copies (views own nothing). */
  free(): void {
    if (!this.#compact) return;
    this.flat.params.free();
    this.flat.grads.free();
  }
}
