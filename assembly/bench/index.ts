// The exports of build/bench-simd.wasm (the benchmarks' own module), nothing else.
export { alloc, free } from '../heap';
export { stream_read_f32, stream_read3_f32, peak_muladd_f32 } from './roofline';
