// Picks and instantiates a WASM build. Each loadKernels() call gets its own instance (own memory);
// all instances of a build share one compiled WebAssembly.Module.

import { readWasm } from '#read-wasm';
import { computeLoss, type LossName, type LossOptions, type LossResult } from '../losses/index.js';
import type { KernelExports } from './exports.js';
import { Heap, type WasmArray, type WasmArrayType } from './heap.js';

export interface LoadOptions {
  /** true: the SIMD build (throws where unsupported); false: the scalar build; undefined: SIMD when supported. */
  simd?: boolean;
}

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)) — validates only with SIMD support.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Whether this engine runs WebAssembly SIMD (fixed-width 128-bit). */
export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

const modules = new Map<'simd' | 'scalar', Promise<WebAssembly.Module>>();

function compiledModule(build: 'simd' | 'scalar'): Promise<WebAssembly.Module> {
  let module = modules.get(build);
  if (!module) {
    // Literal URLs so that bundlers (Vite, webpack, esbuild) see and copy both files.
    const url = build === 'simd'
      ? new URL('../../build/simd.wasm', import.meta.url)
      : new URL('../../build/scalar.wasm', import.meta.url);
    module = readWasm(url).then((bytes) => WebAssembly.compile(bytes));
    module.catch(() => modules.delete(build)); // a failed load may be retried
    modules.set(build, module);
  }
  return module;
}

function abort(): never {
  throw new Error('descent kernel aborted (an internal invariant failed; please report this)');
}

/** A WebAssembly instance of the descent kernels with its own memory. */
export class Kernels {
  /** True when the SIMD build runs, false for the scalar build. */
  readonly simd: boolean;
  /** The instance's raw exports (pointers and lengths, no checks): for benchmarks and advanced use. */
  readonly raw: KernelExports;
  /** The instance's memory; it grows on demand and never shrinks. */
  readonly memory: WebAssembly.Memory;
  readonly #heap: Heap;

  constructor(exports: KernelExports, simd: boolean) {
    this.raw = exports;
    this.memory = exports.memory;
    this.simd = simd;
    this.#heap = new Heap(exports);
  }

  /** An array of `length` elements in this instance's memory ('f32' by default, 'i32' for class indices). */
  alloc(length: number, type: WasmArrayType = 'f32'): WasmArray {
    return this.#heap.alloc(length, type);
  }

  /**
   * Loss `name` of `input` against `target` and its gradient w.r.t. `input`, in one fused pass.
   * WasmArray inputs are used in place; `options.out` receives the gradient without a copy.
   */
  loss(name: LossName, input: unknown, target: unknown, options?: LossOptions): LossResult {
    return computeLoss(this.#heap, name, input, target, options);
  }
}

/** Loads the kernels: the SIMD build when supported (or as `options.simd` says), in a new instance. */
export async function loadKernels(options: LoadOptions = {}): Promise<Kernels> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'simd' && (options as Record<string, unknown>)[key] !== undefined) {
      throw new TypeError(`unknown option ${JSON.stringify(key)} for loadKernels; it takes simd`);
    }
  }
  const { simd } = options;
  if (simd !== undefined && typeof simd !== 'boolean') {
    throw new TypeError(`simd must be a boolean or undefined, got ${String(simd)}`);
  }
  const supported = simdSupported();
  if (simd === true && !supported) {
    throw new Error('the SIMD build was requested (simd: true) but this engine does not support WebAssembly SIMD');
  }
  const useSimd = simd ?? supported;
  const module = await compiledModule(useSimd ? 'simd' : 'scalar');
  const instance = await WebAssembly.instantiate(module, { env: { abort } });
  const exports = instance.exports as unknown as KernelExports;
  if (exports.simd_enabled() !== (useSimd ? 1 : 0)) {
    throw new Error(`loaded the wrong build: expected ${useSimd ? 'simd' : 'scalar'}`);
  }
  return new Kernels(exports, useSimd);
}
