// Picks and instantiates a WASM build. Each loadKernels() call gets its own instance (own memory);
// all instances of a build share one compiled WebAssembly.Module.

import { checkWasmReadable, readWasm } from '#read-wasm';
import { computeLoss, type LossName, type LossOptions, type LossResult } from '../losses/index.js';
import { checkBuildSupported, defaultBuild, requestedBuild, type Build } from './builds.js';
import type { KernelExports } from './exports.js';
import { Heap, type WasmArray, type WasmArrayType } from './heap.js';

export interface LoadOptions {
  /** Which build: 'relaxed' (fused multiply-add), 'simd' or 'scalar'; the fastest this engine runs by default. */
  build?: Build;
  /** The older switch: false means build 'scalar', true means build 'simd'. */
  simd?: boolean;
}

export { simdSupported } from './builds.js';

const modules = new Map<Build, Promise<WebAssembly.Module>>();

function compiledModule(build: Build): Promise<WebAssembly.Module> {
  let module = modules.get(build);
  if (!module) {
    // Literal URLs so that bundlers (Vite, webpack, esbuild) see and copy every file.
    const url = build === 'relaxed'
      ? new URL('../../build/relaxed.wasm', import.meta.url)
      : build === 'simd'
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
  /** Which build runs: 'relaxed', 'simd' or 'scalar'. */
  readonly build: Build;
  /** True when a SIMD build runs ('relaxed' or 'simd'), false for the scalar build. */
  readonly simd: boolean;
  /** The instance's raw exports (pointers and lengths, no checks): for benchmarks and advanced use. */
  readonly raw: KernelExports;
  /** The instance's memory; it grows on demand and never shrinks. */
  readonly memory: WebAssembly.Memory;
  readonly #heap: Heap;

  constructor(exports: KernelExports, build: Build) {
    this.raw = exports;
    this.memory = exports.memory;
    this.build = build;
    this.simd = build !== 'scalar';
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

/** Loads the kernels: the fastest build this engine runs (or the one `options` name), in a new instance. */
export async function loadKernels(options: LoadOptions = {}): Promise<Kernels> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'simd' && key !== 'build' && (options as Record<string, unknown>)[key] !== undefined) {
      throw new TypeError(`unknown option ${JSON.stringify(key)} for loadKernels; it takes build, simd`);
    }
  }
  const build = requestedBuild(options, 'loadKernels') ?? defaultBuild();
  checkBuildSupported(build);
  checkWasmReadable('loadKernels');
  const module = await compiledModule(build);
  const instance = await WebAssembly.instantiate(module, { env: { abort } });
  const exports = instance.exports as unknown as KernelExports;
  const loaded: Build = exports.relaxed_enabled() ? 'relaxed' : exports.simd_enabled() ? 'simd' : 'scalar';
  if (loaded !== build) throw new Error(`loaded the wrong build: expected ${build}, got ${loaded}`);
  return new Kernels(exports, build);
}
