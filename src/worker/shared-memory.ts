// Data in shared memory: an array backed by a SharedArrayBuffer crosses to a worker without being
// copied (the worker sees the same memory), so a data set shared once serves every fit, predict and
// evaluate call. Browsers offer SharedArrayBuffer only on cross-origin isolated pages (COOP/COEP).

type NumericArray = Float32Array | Int32Array | Float64Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array;

/** True where SharedArrayBuffer exists and may be posted to workers (Node, Deno, isolated pages). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown };
  return g.document === undefined || g.crossOriginIsolated === true;
}

/** A copy of `array` in a new SharedArrayBuffer, for passing the same data to a worker many times. */
export function toShared<T extends NumericArray>(array: T): T {
  if (!ArrayBuffer.isView(array) || array instanceof DataView) {
    throw new TypeError(`toShared expects a typed array, got ${array === null ? 'null' : typeof array}`);
  }
  if (!sharedMemoryAvailable()) {
    throw new Error('toShared needs SharedArrayBuffer: serve the page cross-origin isolated '
      + '(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)');
  }
  const Type = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const shared = new Type(new SharedArrayBuffer(array.byteLength));
  shared.set(array as never);
  return shared;
}
