// Public API: re-exports only.
export { loadKernels, simdSupported, Kernels, type LoadOptions } from './wasm/load.js';
export { WasmArray, type WasmArrayType } from './wasm/heap.js';
export {
  LOSS_NAMES,
  type LossName,
  type LossOptions,
  type LossResult,
  type Reduction,
  type FloatInput,
  type IndexInput,
} from './losses.js';
