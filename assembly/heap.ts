// Long-lived blocks for the host: WasmArrays, staged inputs and scratch. Backed by the runtime's
// TLSF allocator (runtime "minimal"), so a freed block is reused and repeated calls do not grow memory.

/** Allocates `bytes` bytes, 16-byte aligned (f32x4 loads need no alignment, but it keeps them fast). */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Returns a block from `alloc` to the allocator. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

/** 1 in the SIMD build, 0 in the scalar build: lets the host check which file it loaded. */
export function simd_enabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 in the relaxed-SIMD build (fused multiply-add), 0 otherwise. */
export function relaxed_enabled(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
