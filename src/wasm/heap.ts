// Arrays that live in WASM memory. A typed-array view detaches when memory grows, so `.array`
// re-makes it whenever the memory's buffer has changed.

import type { KernelExports } from './exports.js';

/** Element type of a WasmArray: 'f32' (Float32Array view) or 'i32' (Int32Array view). */
export type WasmArrayType = 'f32' | 'i32';

/** AssemblyScript caps one block at 1 GiB less its 4-byte header; 16-byte alignment leaves 2³⁰ − 16. */
export const MAX_BLOCK_BYTES = 2 ** 30 - 16;

/** wasm32 addresses at most 4 GiB of linear memory per instance. */
export const MAX_MEMORY_BYTES = 2 ** 32;

/** An array of `length` f32 or i32 values in one kernels instance's memory; free it when done. */
export class WasmArray {
  /** Byte offset of the first element in WASM memory (0 once freed). */
  ptr: number;
  readonly length: number;
  readonly type: WasmArrayType;
  /** The heap that owns the memory: arrays only work with the kernels instance that made them. */
  readonly heap: Heap;
  #view: Float32Array | Int32Array | null = null;

  constructor(heap: Heap, ptr: number, length: number, type: WasmArrayType) {
    this.heap = heap;
    this.ptr = ptr;
    this.length = length;
    this.type = type;
  }

  /** A view of the elements (Float32Array for 'f32', Int32Array for 'i32'); re-made after memory growth. */
  get array(): Float32Array | Int32Array {
    if (this.ptr === 0) throw new Error('WasmArray is freed');
    const buffer = this.heap.exports.memory.buffer;
    if (this.#view === null || this.#view.buffer !== buffer) {
      this.#view = this.type === 'f32'
        ? new Float32Array(buffer, this.ptr, this.length)
        : new Int32Array(buffer, this.ptr, this.length);
    }
    return this.#view;
  }

  /** True until free() is called. */
  get live(): boolean {
    return this.ptr !== 0;
  }

  /** Returns the memory to the allocator; later use of this array throws. Freeing twice is a no-op. */
  free(): void {
    if (this.ptr === 0) return;
    this.heap.release(this.ptr);
    this.ptr = 0;
    this.#view = null;
  }
}

/** Allocation over one instance's exported TLSF allocator. */
export class Heap {
  readonly exports: KernelExports;

  constructor(exports: KernelExports) {
    this.exports = exports;
  }

  /** A WasmArray of `length` elements; `what` names the array in error messages. */
  alloc(length: number, type: WasmArrayType = 'f32', what = 'length'): WasmArray {
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`${what} must be a non-negative integer, got ${String(length)}`);
    }
    const bytes = Math.max(length * 4, 16);
    if (bytes > MAX_BLOCK_BYTES) {
      throw new RangeError(`${what} must be at most ${MAX_BLOCK_BYTES / 4} elements (one WASM block is capped at 1 GiB), got ${length}`);
    }
    let ptr: number;
    try {
      ptr = this.exports.alloc(bytes) >>> 0;
    } catch {
      // The allocator traps only when memory.grow fails: past wasm32's 4 GiB, or the engine's own limit.
      throw new RangeError(
        `could not allocate ${bytes} bytes of WASM memory: memory.grow failed at ${this.exports.memory.buffer.byteLength} bytes ` +
        '(one instance holds at most 4 GiB, and engines may stop earlier; free arrays, or use another instance)',
      );
    }
    return new WasmArray(this, ptr, length, type);
  }

  /** Copies `values` into a new WasmArray. */
  copyIn(values: ArrayLike<number>, type: WasmArrayType, what: string): WasmArray {
    const array = this.alloc(values.length, type, what);
    array.array.set(values);
    return array;
  }

  release(ptr: number): void {
    this.exports.free(ptr);
  }
}
