// The plain-JavaScript MLP baseline lives in the package (src/plain-mlp.ts) so that the in-browser
// benchmark (runBenchmarks) and these Node benchmarks run the same code.
export { PlainMlp } from '../dist/plain-mlp.js';
