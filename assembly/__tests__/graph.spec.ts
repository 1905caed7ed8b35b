// The kernels of graph models and frozen layers, run once per build at lengths around the lane width:
// add_f32 (also in place, out = a: the fan-out gradient sum), concat's strided copy, and a frozen
// batchnorm's per-channel scale, against plain f64 formulas.
import { add_f32 } from '../vec';
import { copy_strided_f32 } from '../layers/merge';
import { channel_scale_f32 } from '../layers/norm';

const LENGTHS: i32[] = [0, 1, 3, 4, 5, 15, 16, 17, 1001];
const SENTINEL: f32 = 12345.0;

let seed: u32 = 2024;
function random(): f32 {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return <f32>(<f64>seed / 4294967296.0 * 4.0 - 2.0);
}

function at(ptr: usize, i: i32): usize {
  return ptr + (<usize>i << 2);
}

describe('graph kernels at lengths around the lane width', () => {
  it('add_f32: out = a + b, exact in f32, and in place into a; nothing past n written', () => {
    for (let li = 0; li < LENGTHS.length; li++) {
      const n = LENGTHS[li];
      const bytes = <usize>(n + 4) << 2;
      const a = heap.alloc(bytes), b = heap.alloc(bytes), out = heap.alloc(bytes);
      for (let i = 0; i < n + 4; i++) {
        store<f32>(at(a, i), random());
        store<f32>(at(b, i), random());
        store<f32>(at(out, i), SENTINEL);
      }
      add_f32(a, b, out, n);
      for (let i = 0; i < n; i++) expect(load<f32>(at(out, i))).toBe(load<f32>(at(a, i)) + load<f32>(at(b, i)));
      for (let i = n; i < n + 4; i++) expect(load<f32>(at(out, i))).toBe(SENTINEL);
      add_f32(a, b, a, n);
      for (let i = 0; i < n; i++) expect(load<f32>(at(a, i))).toBe(load<f32>(at(out, i)));
      heap.free(a);
      heap.free(b);
      heap.free(out);
    }
  });

  it('copy_strided_f32: slices of `width` between rows of other strides, the gaps untouched', () => {
    for (let li = 0; li < LENGTHS.length; li++) {
      const width = LENGTHS[li];
      const count: i32 = 3;
      const srcStride = width + 2, dstStride = width + 5, offset: i32 = 1;
      const src = heap.alloc(<usize>(count * srcStride + 1) << 2);
      const dst = heap.alloc(<usize>(count * dstStride + 1) << 2);
      for (let i = 0; i < count * srcStride; i++) store<f32>(at(src, i), random());
      for (let i = 0; i < count * dstStride; i++) store<f32>(at(dst, i), SENTINEL);
      copy_strided_f32(src, srcStride, dst + (<usize>offset << 2), dstStride, count, width);
      for (let r = 0; r < count; r++) {
        for (let j = 0; j < dstStride - offset; j++) {
          const got = load<f32>(at(dst, r * dstStride + offset + j));
          if (j < width) expect(got).toBe(load<f32>(at(src, r * srcStride + j)));
          else expect(got).toBe(SENTINEL);
        }
        expect(load<f32>(at(dst, r * dstStride))).toBe(SENTINEL);
      }
      heap.free(src);
      heap.free(dst);
    }
  });

  it('channel_scale_f32: out = x·a[c]·b[c] per channel, within an ulp of f64', () => {
    for (let li = 0; li < LENGTHS.length; li++) {
      const C = LENGTHS[li];
      const count: i32 = 5;
      const x = heap.alloc(<usize>(count * C + 1) << 2), out = heap.alloc(<usize>(count * C + 1) << 2);
      const a = heap.alloc(<usize>(C + 1) << 2), b = heap.alloc(<usize>(C + 1) << 2);
      for (let i = 0; i < count * C; i++) store<f32>(at(x, i), random());
      for (let c = 0; c < C; c++) {
        store<f32>(at(a, c), random());
        store<f32>(at(b, c), random());
      }
      channel_scale_f32(x, count, C, a, b, out);
      for (let p = 0; p < count; p++) {
        for (let c = 0; c < C; c++) {
          const want = <f64>load<f32>(at(x, p * C + c)) * (<f64>load<f32>(at(a, c)) * <f64>load<f32>(at(b, c)));
          expect(Math.abs(<f64>load<f32>(at(out, p * C + c)) - want)).toBeLessThanOrEqual(2.5e-7 * Math.abs(want) + 1e-30);
        }
      }
      heap.free(x);
      heap.free(out);
      heap.free(a);
      heap.free(b);
    }
  });
});
