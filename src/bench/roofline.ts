// The roofline kernels in their own modules, build/bench-simd.wasm and build/bench-relaxed.wasm (SIMD
// only, never part of the production builds): the f32x4 multiply–add peaks (separate and fused) and
// stream reads, the physical limits that the benchmarks set kernel speeds against.

import { readWasm } from '#read-wasm';
import { relaxedSimdSupported, simdSupported } from '../wasm/builds.js';

// The exports of build/bench-simd.wasm (assembly/bench/index.ts); pointers are byte offsets into `memory`.
interface RooflineExports {
  readonly memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  stream_read_f32(x: number, n: number): number;
  stream_read3_f32(a: number, b: number, c: number, n: number): number;
  peak_muladd_f32(iterations: number): number;
  peak_madd_f32(iterations: number): number;
  gemm_microkernel_f32(a: number, panel: number, c: number, reps: number): void;
  gemm_microkernel_flops(): number;
  gemm_microkernel_rows(): number;
  gemm_microkernel_columns(): number;
}

/** Floating-point operations of one peakMuladd iteration: 12 chains × (multiply + add) × 4 lanes. */
export const PEAK_MULADD_FLOPS = 96;


const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

function compiledModule(relaxed: boolean): Promise<WebAssembly.Module> {
  let module = compiled.get(relaxed);
  if (!module) {
    // Literal URLs so that bundlers (Vite, webpack, esbuild) see and copy the files.
    const url = relaxed ? new URL('../../build/bench-relaxed.wasm', import.meta.url) : new URL('../../build/bench-simd.wasm', import.meta.url);
    module = readWasm(url).then((bytes) => WebAssembly.compile(bytes));
    module.catch(() => compiled.delete(relaxed)); // a failed load may be retried
    compiled.set(relaxed, module);
  }
  return module;
}

function abort(): never {
  throw new Error('descent roofline kernel aborted (an internal invariant failed; please report this)');
}

/** The iteration count every roofline kernel takes: an integer in [0, 2³¹). */
function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 2 ** 31 - 1) {
    throw new RangeError(`iterations must be an integer in [0, 2³¹), got ${String(iterations)}`);
  }
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
  /** True when this instance's madd peak is fused (build/bench-relaxed.wasm). */
  readonly relaxed: boolean;
  /** The micro-kernel's A rows, packed B panel and C block (allocated on first use). */
  #microKernelData: [number, number, number] | null = null;

  constructor(exports: RooflineExports, relaxed: boolean) {
    this.#exports = exports;
    this.relaxed = relaxed;
  }

  /** `iterations` rounds of PEAK_MULADD_FLOPS f32x4 multiply–add flops in 12 independent chains; returns a value so the work is kept. */
  peakMuladd(iterations: number): number {
    checkIterations(iterations);
    return this.#exports.peak_muladd_f32(iterations);
  }

  /**
   * The same 12 chains as peakMuladd through f32x4.relaxed_madd when `relaxed` (a fused multiply-add:
   * the peak of the relaxed build's kernels; still PEAK_MULADD_FLOPS per iteration), else separate
   * multiply and add (the SIMD build's peak).
   */
  peakMadd(iterations: number): number {
    checkIterations(iterations);
    return this.#exports.peak_madd_f32(iterations);
  }

  /**
   * Floating-point operations of one microKernel iteration: 2 per multiply-add of its block (3×12
   * in the relaxed module, 4×8 in the SIMD one) over 256 k-steps.
   */
  get microKernelFlops(): number {
    return this.#exports.gemm_microkernel_flops();
  }

  /**
   * The GEMM micro-kernel of the production builds (assembly/gemm-kernels.ts; the relaxed one in the
   * relaxed module) `iterations` times over the same A rows and packed B panel, both in L1:
   * microKernelFlops per iteration, the ceiling of GEMM on this engine with no packing or cache
   * misses. Returns an entry of the block it accumulates (32 per iteration so far), so the work is kept.
   */
  microKernel(iterations: number): number {
    checkIterations(iterations);
    const k = this.#exports;
    if (!this.#microKernelData) {
      const rows = k.gemm_microkernel_rows();
      const columns = k.gemm_microkernel_columns();
      const floats = [rows * 256, 256 * columns, rows * columns];
      const ptrs = floats.map((n) => k.alloc(n * 4) >>> 0);
      // exact small values: the block grows by 32 a rep, far from overflow and never subnormal
      new Float32Array(k.memory.buffer, ptrs[0]!, floats[0]!).fill(0.5);
      new Float32Array(k.memory.buffer, ptrs[1]!, floats[1]!).fill(0.25);
      new Float32Array(k.memory.buffer, ptrs[2]!, floats[2]!).fill(0);
      this.#microKernelData = ptrs as [number, number, number];
    }
    const [a, panel, c] = this.#microKernelData;
    k.gemm_microkernel_f32(a, panel, c, iterations);
    return new Float32Array(k.memory.buffer, c, 1)[0]!;
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

/**
 * Loads the roofline kernels (they need WebAssembly SIMD) in a new instance: the relaxed-SIMD module
 * (fused peakMadd) where the engine runs relaxed SIMD, unless `options.relaxed` is false.
 */
export async function loadRoofline(options: { relaxed?: boolean } = {}): Promise<Roofline> {
  if (!simdSupported()) throw new Error('the roofline kernels need WebAssembly SIMD, which this engine does not support');
  if (options.relaxed !== undefined && typeof options.relaxed !== 'boolean') {
    throw new TypeError(`relaxed must be a boolean or undefined, got ${String(options.relaxed)}`);
  }
  if (options.relaxed && !relaxedSimdSupported()) throw new Error('relaxed: true, but this engine does not support WebAssembly relaxed SIMD');
  const relaxed = options.relaxed ?? relaxedSimdSupported();
  const instance = await WebAssembly.instantiate(await compiledModule(relaxed), { env: { abort } });
  return new Roofline(instance.exports as unknown as RooflineExports, relaxed);
}
