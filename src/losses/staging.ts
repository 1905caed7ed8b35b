// Scratch arrays in WASM memory for one kernel call (or one bound loss), freed together.

import type { Heap, WasmArray } from '../wasm/heap.js';
import { WasmArray as WasmArrayClass } from '../wasm/heap.js';
import type { FloatValues } from './inputs.js';

export class Staging {
  readonly scratch: WasmArray[] = [];
  constructor(readonly heap: Heap) {}

  /** A pointer to f32 data in WASM memory: the WasmArray itself, or a copy of plain values. */
  floats(values: FloatValues, what: string): number {
    if (values instanceof WasmArrayClass) return values.ptr;
    return this.keep(this.heap.copyIn(values, 'f32', what)).ptr;
  }

  ints(values: Int32Array | readonly number[] | WasmArray, what: string): number {
    if (values instanceof WasmArrayClass) return values.ptr;
    return this.keep(this.heap.copyIn(values, 'i32', what)).ptr;
  }

  /** Four copies of `value`, for the kernels' step-0 weight convention. */
  splat(value: number): number {
    const block = this.keep(this.heap.alloc(4, 'f32'));
    block.array.fill(value);
    return block.ptr;
  }

  /** `values` ([cols]) repeated over `rows` rows. */
  tiled(values: ArrayLike<number>, rows: number, what: string): number {
    const cols = values.length;
    const block = this.keep(this.heap.alloc(rows * cols, 'f32', what));
    const view = block.array as Float32Array;
    view.set(values);
    for (let filled = cols; filled < view.length; filled *= 2) view.copyWithin(filled, 0, Math.min(filled, view.length - filled));
    return block.ptr;
  }

  /** A scratch array of `length` f32 values (contents undefined). */
  output(length: number, what: string): WasmArray {
    return this.keep(this.heap.alloc(length, 'f32', what));
  }

  keep(array: WasmArray): WasmArray {
    this.scratch.push(array);
    return array;
  }

  release(): void {
    for (const array of this.scratch) array.free();
    this.scratch.length = 0;
  }
}
