// The roofline kernels in their own module, build/bench-simd.wasm (SIMD only, never part of the
// production builds): the f32x4 multiply–add peak and stream reads, the physical limits that the
// benchmarks set kernel speeds against.

import { readWasm } from '#read-wasm';
import { simdSupported } from '../wasm/load.js';

// The exports of build/bench-simd.wasm (assembly/bench/index.ts); pointers are byte offsets into `memory`.
interface RooflineExports {
  readonly memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  stream_read_f32(x: number, n: number): number;
  stream_read3_f32(a: number, b: number, c: number, n: number): number;
  peak_muladd_f32(iterations: number): number;
}

/** Floating-point operations of one peakMuladd iteration: 12 chains × (multiply + add) × 4 lanes. */
export const PEAK_MULADD_FLOPS = 96;

let compiled: Promise<WebAssembly.Module> | null = null;

function compiledModule(): Promise<WebAssembly.Module> {
  if (!compiled) {
    // A literal URL so that bundlers (Vite, webpack, esbuild) see and copy the file.
    const module = readWasm(new URL('../../build/bench-simd.wasm', import.meta.url)).then((bytes) => WebAssembly.compile(bytes));
    module.catch(() => { compiled = null; }); // a failed load may be retried
    compiled = module;
  }
  return compiled;
}

function abort(): never {
  throw new Error('descent roofline kernel aborted (an internal invariant failed; please report this)');
}

/** Arrays copied into a Roofline instance, read by one stream kernel call; free() when done. */
export interface StreamReader {
  /** Reads every array once as f32x4 streams, in one loop; returns their sum. */
  read(): number;
  free(): void;
}

/** An instance of the roofline kernels with its own memory. */
export class Roofline {
  readonly #exports: RooflineExports;

  constructor(exports: RooflineExports) {
    this.#exports = exports;
  }

  /** `iterations` rounds of PEAK_MULADD_FLOPS f32x4 multiply–add flops in 12 independent chains; returns a value so the work is kept. */
  peakMuladd(iterations: number): number {
    if (!Number.isInteger(iterations) || iterations < 0 || iterations > 2 ** 31 - 1) {
      throw new RangeError(`iterations must be an integer in [0, 2³¹), got ${String(iterations)}`);
    }
    return this.#exports.peak_muladd_f32(iterations);
  }

  /**
   * Copies `arrays` into this instance: one array, or three of equal length (a loss kernel's input,
   * target and gradient; the same array given twice is read twice from one copy). The reader's
   * read() is the bandwidth ceiling for those bytes.
   */
  streamReader(arrays: readonly Float32Array[]): StreamReader {
    if (!Array.isArray(arrays) || (arrays.length !== 1 && arrays.length !== 3) || !arrays.every((a) => a instanceof Float32Array)) {
      throw new TypeError(`arrays must be one or three Float32Arrays, got ${Array.isArray(arrays) ? `${arrays.length} items` : typeof arrays}`);
    }
    const n = arrays[0]!.length;
    if (!arrays.every((a) => a.length === n)) {
      throw new RangeError(`arrays must have equal lengths, got ${arrays.map((a) => a.length).join(', ')}`);
    }
    const k = this.#exports;
    const copies = new Map<Float32Array, number>();
    for (const array of new Set(arrays)) {
      const ptr = k.alloc(Math.max(16, n * 4)) >>> 0; // traps (as a RuntimeError) only when memory cannot grow
      new Float32Array(k.memory.buffer, ptr, n).set(array);
      copies.set(array, ptr);
    }
    const [a, b, c] = arrays.map((array) => copies.get(array)!) as [number, number?, number?];
    let live = true;
    return {
      read: () => {
        if (!live) throw new Error('StreamReader is freed');
        return b === undefined ? k.stream_read_f32(a, n) : k.stream_read3_f32(a, b, c!, n);
      },
      free: () => {
        if (live) for (const ptr of copies.values()) k.free(ptr);
        live = false;
      },
    };
  }
}

/** Loads the roofline kernels (they need WebAssembly SIMD) in a new instance. */
export async function loadRoofline(): Promise<Roofline> {
  if (!simdSupported()) throw new Error('the roofline kernels need WebAssembly SIMD, which this engine does not support');
  const instance = await WebAssembly.instantiate(await compiledModule(), { env: { abort } });
  return new Roofline(instance.exports as unknown as RooflineExports);
}
