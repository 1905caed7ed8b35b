// The three WASM builds of the kernels, compiled from one source (assembly/), and which of them this
// engine runs:
//   relaxed — SIMD plus relaxed SIMD: f32x4.relaxed_madd, a fused multiply-add where the CPU has one,
//             in GEMM (so dense and convolution layers) and the SGD/Adam updates;
//   simd    — fixed-width 128-bit SIMD, multiply then add;
//   scalar  — no SIMD, for engines without it.
// FMA rounds once where the SIMD build rounds twice, so the relaxed build's results differ from the
// SIMD build's in the last bits (the tests bound the difference); each build is bit-exact run to run.

import { notOneOf } from '../validate.js';

export type Build = 'relaxed' | 'simd' | 'scalar';

/** Every build, fastest first. */
export const BUILDS: readonly Build[] = ['relaxed', 'simd', 'scalar'];

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)) — validates only with SIMD support.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// (module (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd)) — validates
// only with relaxed SIMD (on by default in Chromium, Firefox, Node ≥ 22, Deno and Bun; Node 20 needs
// --experimental-wasm-relaxed-simd; WebKit has it off).
const ZERO_V128 = [253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const RELAXED_BODY = [0, ...ZERO_V128, ...ZERO_V128, ...ZERO_V128, 253, 133, 2, 11];
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, RELAXED_BODY.length + 2, 1, RELAXED_BODY.length, ...RELAXED_BODY,
]);

/** Whether this engine runs WebAssembly SIMD (fixed-width 128-bit). */
export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/** Whether this engine runs WebAssembly relaxed SIMD (and so the relaxed build). */
export function relaxedSimdSupported(): boolean {
  return simdSupported() && WebAssembly.validate(RELAXED_PROBE);
}

/** Whether this engine can run `build`. */
export function buildSupported(build: Build): boolean {
  return build === 'scalar' ? true : build === 'simd' ? simdSupported() : relaxedSimdSupported();
}

/** The builds this engine runs, fastest first. */
export function supportedBuilds(): Build[] {
  return BUILDS.filter(buildSupported);
}

/** The fastest build this engine runs. */
export function defaultBuild(): Build {
  return supportedBuilds()[0]!;
}

/**
 * The build that `{ build, simd }` options ask for, checked: `build` names one of BUILDS; the older
 * `simd: false` means 'scalar' and `simd: true` means 'simd'; both given must agree. Undefined when
 * neither is given (the engine's fastest). `where` names the call in messages.
 */
export function requestedBuild(options: { build?: unknown; simd?: unknown }, where: string): Build | undefined {
  const { build, simd } = options;
  if (simd !== undefined && typeof simd !== 'boolean') {
    throw new TypeError(`${where}: simd must be a boolean or undefined, got ${String(simd)}`);
  }
  if (build !== undefined && !(BUILDS as readonly unknown[]).includes(build)) {
    throw notOneOf(`${where}: build`, build, BUILDS);
  }
  const fromSimd: Build | undefined = simd === undefined ? undefined : simd ? 'simd' : 'scalar';
  if (build !== undefined && fromSimd !== undefined && build !== fromSimd && !(simd === true && build === 'relaxed')) {
    throw new TypeError(`${where}: build '${String(build)}' contradicts simd: ${String(simd)}; give one of them`);
  }
  return (build as Build | undefined) ?? fromSimd;
}

/** Throws a clear error when this engine cannot run `build`. */
export function checkBuildSupported(build: Build): void {
  if (buildSupported(build)) return;
  const why = build === 'simd'
    ? 'this engine does not support WebAssembly SIMD'
    : simdSupported()
      ? 'this engine does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; WebKit has it off); use build \'simd\''
      : 'this engine does not support WebAssembly SIMD';
  throw new Error(`the ${build} build was requested but ${why}`);
}
