// Runs descent's benchmark suite in this worker and posts each row as soon as it is measured.
import { runBenchmarks } from 'descent-wasm/bench';

self.onmessage = async ({ data: options }) => {
  try {
    await runBenchmarks({ ...options, onResult: (row) => self.postMessage({ row }) });
    self.postMessage({ done: true });
  } catch (error) {
    self.postMessage({ error: `${error.name}: ${error.message}` });
  }
};
