// How the caller's arrays cross to a trainer's worker without holding the caller's thread. A
// structured clone of 31 MB serialises and copies into fresh memory on both sides (80–110 ms on the
// caller's thread alone, measured on the 2-core VM); a fresh allocation per call pays the same page
// faults (20–170 ms). So each typed array is copied once into a buffer this side keeps and reuses
// (memcpy into pages already touched: 3–6 ms for 31 MB), that buffer is transferred (0.1 ms), and
// the worker gives it back with its reply, for the next call. The copy is made before the call
// returns its promise, so a later change to the caller's array never reaches the worker; with
// `transfer: true` the caller's own buffer moves instead (nothing is copied) and joins the pool.

/** Buffers kept for reuse at most: x, y and validationData's two arrays of one call. */
const KEPT_BUFFERS = 4;

/** Allocation granularity of new buffers, so that slightly larger later calls still fit. */
const ALLOCATION_BYTES = 1 << 16;

type NumericArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView & { set(values: ArrayLike<number>): void };

/** True for a SharedArrayBuffer (a global that pages without cross-origin isolation lack). */
export function isShared(buffer: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

/** The caller's side: reusable buffers that carry copies of typed arrays to the worker and come back. */
export class TransitBuffers {
  /** Free buffers, detached ones never among them. */
  readonly #free: ArrayBuffer[] = [];

  /** Bytes held for reuse (for tests and `info`). */
  get keptBytes(): number {
    return this.#free.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  }

  /**
   * `value` as it should be posted, its buffer added to `moved` (the transfer list). A typed array is
   * copied into a kept buffer, or with `move` (the caller's `transfer: true`) sent as it is when it
   * covers its whole buffer; an array in shared memory crosses as it is (both threads see it); any
   * other value (number[], undefined, a data set reference) is left to the structured clone.
   */
  carry(value: unknown, move: boolean, moved: ArrayBuffer[]): unknown {
    if (!ArrayBuffer.isView(value) || value instanceof DataView) return value;
    const view = value as ArrayBufferView & { length: number; set(values: ArrayLike<number>): void };
    if (isShared(view.buffer)) return value;
    if (move && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) {
      if (!moved.includes(view.buffer as ArrayBuffer)) moved.push(view.buffer as ArrayBuffer);
      return value;
    }
    const buffer = this.#take(view.byteLength);
    const copy = new (view.constructor as NumericArrayConstructor)(buffer, 0, view.length);
    copy.set(view as unknown as ArrayLike<number>);
    moved.push(buffer);
    return copy;
  }

  /** Buffers the worker gave back (with its reply), kept for later calls: the largest few. */
  reclaim(buffers: readonly ArrayBuffer[] | undefined): void {
    for (const buffer of buffers ?? []) {
      if (buffer.byteLength > 0 && !this.#free.includes(buffer)) this.#free.push(buffer);
    }
    this.#free.sort((a, b) => b.byteLength - a.byteLength);
    this.#free.length = Math.min(this.#free.length, KEPT_BUFFERS);
  }

  /** Drops every kept buffer (the trainer is disposed). */
  clear(): void {
    this.#free.length = 0;
  }

  /** The smallest kept buffer of at least `bytes`, or a new one. */
  #take(bytes: number): ArrayBuffer {
    let best = -1;
    this.#free.forEach((buffer, i) => {
      if (buffer.byteLength >= bytes && (best < 0 || buffer.byteLength < this.#free[best]!.byteLength)) best = i;
    });
    if (best >= 0) return this.#free.splice(best, 1)[0]!;
    return new ArrayBuffer(Math.max(ALLOCATION_BYTES, Math.ceil(bytes / ALLOCATION_BYTES) * ALLOCATION_BYTES));
  }
}

/**
 * The worker's side: the buffers of the typed arrays in `values` that it may give back to the caller
 * (not shared memory, each once), sent back with the reply once the call is over.
 */
export function lentBuffers(...values: unknown[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const value of values) {
    if (!ArrayBuffer.isView(value) || isShared(value.buffer)) continue;
    const buffer = value.buffer as ArrayBuffer;
    if (buffer.byteLength > 0 && !buffers.includes(buffer)) buffers.push(buffer);
  }
  return buffers;
}
