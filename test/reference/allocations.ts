// The hot path's allocation check shared by the layer tests: WASM allocations (Heap.alloc calls) of a
// second fit, after a first one that sized the network's buffers. A path that allocates per fit, not
// per batch, gives the same count for few rows as for many.
import { vi } from 'vitest';
import { createTrainer, type FitOptions, type TrainerSpec } from '../../src/index.js';
import { Heap } from '../../src/wasm/heap.js';
import type { Build } from './builds.js';

/** Heap.alloc calls of `second` after `first`, both fits on `data(rows)`, in a fresh in-thread trainer. */
export async function allocationsOfSecondFit(
  spec: TrainerSpec, build: Build, rows: number,
  data: (rows: number) => { x: Float32Array | Int32Array; y: Float32Array | Int32Array },
  first: FitOptions, second: FitOptions,
): Promise<number> {
  const alloc = vi.spyOn(Heap.prototype, 'alloc');
  try {
    const t = await createTrainer(spec, { worker: false, build });
    const { x, y } = data(rows);
    await t.fit(x, y, first);
    alloc.mockClear();
    await t.fit(x, y, second);
    await t.dispose();
    return alloc.mock.calls.length;
  } finally {
    alloc.mockRestore();
  }
}
