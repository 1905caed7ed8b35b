// WASM memory: repeated calls reuse freed blocks (no growth), views are re-made after memory.grow,
// instances are independent.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../src/index.js';

describe('memory', () => {
  it('100 000 loss calls (copy and zero-copy paths) do not grow WASM memory', async () => {
    const k = await loadKernels();
    const x = Float32Array.from({ length: 37 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: 37 }, (_, i) => Math.cos(i));
    const p = k.alloc(37), t = k.alloc(37), g = k.alloc(37);
    p.array.set(x);
    t.array.set(y);
    const labels = new Int32Array([0, 3, 1, 2]);
    const logits = Float32Array.from({ length: 36 }, (_, i) => Math.sin(3 * i));
    const round = (i: number) => {
      k.loss('mse', x, y);
      k.loss('huber', p, t, { out: g, delta: 0.5 });
      k.loss('softmax_cross_entropy', logits, labels, { reduction: 'none', labelSmoothing: 0.1 });
      k.loss('bce_with_logits', x.subarray(0, 36), y.subarray(0, 36).map(Math.abs), { shape: [4, 9], weight: [1, 2, 3, 1, 2, 3, 1, 2, 3] });
      return i;
    };
    for (let i = 0; i < 100; i++) round(i);
    const settled = k.memory.buffer.byteLength;
    for (let i = 0; i < 25_000; i++) round(i);
    expect(k.memory.buffer.byteLength).toBe(settled);
  });

  it('results stay right after a forced memory.grow; old views detach, .array is re-made', async () => {
    const k = await loadKernels();
    const p = k.alloc(1000), t = k.alloc(1000), g = k.alloc(1000);
    (p.array as Float32Array).forEach((_, i, a) => { a[i] = Math.sin(i); });
    (t.array as Float32Array).forEach((_, i, a) => { a[i] = Math.cos(i); });
    const before = k.loss('log_cosh', p, t, { out: g });
    const gradBefore = Array.from(before.grad!);
    const oldView = p.array;
    k.memory.grow(64);
    expect(oldView.length).toBe(0); // detached
    expect(p.array.length).toBe(1000);
    expect(p.array[10]).toBe(Math.fround(Math.sin(10)));
    const after = k.loss('log_cosh', p, t, { out: g });
    expect(after.value).toBe(before.value);
    expect(Array.from(after.grad!)).toEqual(gradBefore);
  });

  it('two instances do not share memory; freeing twice is harmless', async () => {
    const a = await loadKernels();
    const b = await loadKernels();
    const x = a.alloc(8), y = b.alloc(8);
    x.array.fill(1);
    y.array.fill(2);
    expect(Array.from(x.array)).toEqual(new Array(8).fill(1));
    expect(a.memory).not.toBe(b.memory);
    x.free();
    x.free();
    expect(() => x.array).toThrow(/WasmArray is freed/);
  });

  it('a block above 1 GiB is refused before any allocation', async () => {
    const k = await loadKernels();
    const before = k.memory.buffer.byteLength;
    expect(() => k.alloc(2 ** 28 + 1)).toThrow(RangeError);
    expect(k.memory.buffer.byteLength).toBe(before);
  });
});
