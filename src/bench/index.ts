// The benchmark entry point ('descent-wasm/bench'): re-exports only. runBenchmarks is the suite that
// runs in any thread; the rest are the parts it is built from (cases, timing, plain-JS baselines, the
// roofline kernels), for suites that add their own peers (the repository's bench/ adds TensorFlow.js).
export { runBenchmarks, type BenchmarkOptions, type BenchmarkRow } from './run.js';
export { BENCHMARK_CASES, caseData, caseFlops, type BenchmarkCase, type LossCase, type GemmCase, type MlpCase, type ConvCase } from './cases.js';
export { measure, type MeasureOptions, type Timing } from './measure.js';
export { plainLoss } from './plain-loss.js';
export { PLAIN_GEMM } from './plain-gemm.js';
export { PlainMlp, type PlainMlpConfig } from './plain-mlp.js';
export { relativeMaxError, VALUE_RTOL } from './compare.js';
export { loadRoofline, Roofline, PEAK_MULADD_FLOPS, type StreamReader } from './roofline.js';
