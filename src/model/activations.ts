// Activation functions as kernel calls: forward z → y, backward dy → dz (the kernels allow dz = dy).
// Used by dense layers (their activation option) and by the activation layer.

import type { KernelExports } from '../wasm/exports.js';

export const ACTIVATIONS = ['linear', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'gelu', 'softmax', 'log_softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Which tensor an activation's backward kernel reads: its input z (true) or its output y. */
const READS_INPUT: Partial<Record<Activation, boolean>> = { leaky_relu: true, gelu: true };

/** y = f(z) over rows × cols floats (softmax and log_softmax per row); linear is a no-op when y = z. */
export function activationForward(k: KernelExports, activation: Activation, z: number, y: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (activation) {
    case 'linear':
      if (y !== z) new Uint8Array(k.memory.buffer).copyWithin(y, z, z + n * 4);
      return;
    case 'relu': return k.relu_forward_f32(z, y, n);
    case 'leaky_relu': return k.leaky_relu_forward_f32(z, y, n);
    case 'sigmoid': return k.sigmoid_forward_f32(z, y, n);
    case 'tanh': return k.tanh_forward_f32(z, y, n);
    case 'gelu': return k.gelu_forward_f32(z, y, n);
    case 'softmax': return k.softmax_forward_f32(z, y, rows, cols, false);
    case 'log_softmax': return k.softmax_forward_f32(z, y, rows, cols, true);
  }
}

/** dz = dy · f′, from the forward pass's z and y (rows × cols); dz may be dy. */
export function activationBackward(
  k: KernelExports, activation: Activation, dy: number, z: number, y: number, dz: number, rows: number, cols: number,
): void {
  const n = rows * cols;
  const source = READS_INPUT[activation] ? z : y;
  switch (activation) {
    case 'linear':
      if (dz !== dy) new Uint8Array(k.memory.buffer).copyWithin(dz, dy, dy + n * 4);
      return;
    case 'relu': return k.relu_backward_f32(dy, source, dz, n);
    case 'leaky_relu': return k.leaky_relu_backward_f32(dy, source, dz, n);
    case 'sigmoid': return k.sigmoid_backward_f32(dy, source, dz, n);
    case 'tanh': return k.tanh_backward_f32(dy, source, dz, n);
    case 'gelu': return k.gelu_backward_f32(dy, source, dz, n);
    case 'softmax': return k.softmax_backward_f32(dy, source, dz, rows, cols, false);
    case 'log_softmax': return k.softmax_backward_f32(dy, source, dz, rows, cols, true);
  }
}
