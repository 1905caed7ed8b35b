// TensorFlow.js for the peer benchmarks: tfjs-core with the CPU and WASM backends (the WASM binary
// runs its SIMD build on one thread in Node) and tfjs-layers, whose import registers the gradients.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
// the trailing slash matters: tfjs appends the file name to this prefix
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);

/** The backends compared, by the name the tables use; quick runs skip tfjs-cpu where it costs seconds a call. */
export function tfjsBackends({ quick = false, cheap = false } = {}) {
  return quick && !cheap ? { 'tfjs-wasm': 'wasm' } : { 'tfjs-cpu': 'cpu', 'tfjs-wasm': 'wasm' };
}

/** Switches tfjs to `backend` and checks that it is the one running (tfjs falls back silently otherwise). */
export async function useBackend(backend) {
  await tf.setBackend(backend);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`tfjs backend ${backend} did not start (running: ${tf.getBackend()})`);
}

/** Throws when tensors were left behind since `before` (a tf.memory().numTensors reading). */
export function checkNoLeak(before, what) {
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${what}: tfjs tensor count grew from ${before} to ${after} (a tensor is not disposed)`);
}

export { tf, tfl };
