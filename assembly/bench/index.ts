// The exports of build/bench-simd.wasm and build/bench-relaxed.wasm (the benchmarks' own modules).
export { alloc, free, relaxed_enabled } from '../heap';
export { stream_read_f32, stream_read3_f32, peak_muladd_f32, peak_madd_f32 } from './roofline';
export { gemm_microkernel_f32, gemm_microkernel_flops, gemm_microkernel_rows, gemm_microkernel_columns } from '../gemm';
