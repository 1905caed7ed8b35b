// Physical-limit proxies for the benchmarks: how fast this engine can stream bytes and do f32x4
// arithmetic. Compiled into build/bench-simd.wasm and build/bench-relaxed.wasm (relaxed SIMD on), never
// into the production builds.

import { lanes, madd4 } from '../math';

// The peak kernels' multiplier and addend, loaded from memory: as f32x4.splat constants, V8 13
// (Node 24, Chrome 13x) re-materialises both before every multiply-add (six instructions, two of
// them general-register → vector moves), which measured the FMA peak at 12 GFLOP/s instead of 54.
const PEAK_M = memory.data<f32>([0.999999]);
const PEAK_A = memory.data<f32>([1e-7]);

/**
 * Reads n f32 as f32x4, 128 bytes per iteration into 8 independent sums (so the adds never limit the
 * rate), and returns their sum: the memory-bandwidth ceiling of a streaming kernel.
 */
export function stream_read_f32(x: usize, n: i32): f64 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  const n32 = n & ~31;
  let i = 0;
  for (; i < n32; i += 32) {
    const p = x + (<usize>i << 2);
    a0 = f32x4.add(a0, v128.load(p));
    a1 = f32x4.add(a1, v128.load(p, 16));
    a2 = f32x4.add(a2, v128.load(p, 32));
    a3 = f32x4.add(a3, v128.load(p, 48));
    a4 = f32x4.add(a4, v128.load(p, 64));
    a5 = f32x4.add(a5, v128.load(p, 80));
    a6 = f32x4.add(a6, v128.load(p, 96));
    a7 = f32x4.add(a7, v128.load(p, 112));
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  let total = <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  // leftovers
  for (; i < n; i++) total += load<f32>(x + (<usize>i << 2));
  return total;
}

/**
 * Reads n f32 from each of three arrays in one loop (the access pattern of a loss kernel: input,
 * target and gradient streams) and returns their sum: the bandwidth ceiling for those bytes.
 */
export function stream_read3_f32(a: usize, b: usize, c: usize, n: i32): f64 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0), s4 = f32x4.splat(0), s5 = f32x4.splat(0);
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, v128.load(a + o));
    s1 = f32x4.add(s1, v128.load(b + o));
    s2 = f32x4.add(s2, v128.load(c + o));
    s3 = f32x4.add(s3, v128.load(a + o, 16));
    s4 = f32x4.add(s4, v128.load(b + o, 16));
    s5 = f32x4.add(s5, v128.load(c + o, 16));
  }
  const s = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(s4, s5));
  let total = <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  // leftovers
  for (; i < n; i++) {
    const o = <usize>i << 2;
    total += <f64>load<f32>(a + o) + <f64>load<f32>(b + o) + <f64>load<f32>(c + o);
  }
  return total;
}

/**
 * f32x4 multiply–add throughput: `iterations` rounds of 12 independent mul+add chains (96 flops per
 * round), enough chains to cover the latency of both units; returns a value so the work is not
 * optimised away.
 */
export function peak_muladd_f32(iterations: i32): f32 {
  const m = lanes(PEAK_M);
  const a = lanes(PEAK_A);
  let c0 = f32x4.splat(1), c1 = f32x4.splat(2), c2 = f32x4.splat(3), c3 = f32x4.splat(4);
  let c4 = f32x4.splat(5), c5 = f32x4.splat(6), c6 = f32x4.splat(7), c7 = f32x4.splat(8);
  let c8 = f32x4.splat(9), c9 = f32x4.splat(10), c10 = f32x4.splat(11), c11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    c0 = f32x4.add(f32x4.mul(c0, m), a);
    c1 = f32x4.add(f32x4.mul(c1, m), a);
    c2 = f32x4.add(f32x4.mul(c2, m), a);
    c3 = f32x4.add(f32x4.mul(c3, m), a);
    c4 = f32x4.add(f32x4.mul(c4, m), a);
    c5 = f32x4.add(f32x4.mul(c5, m), a);
    c6 = f32x4.add(f32x4.mul(c6, m), a);
    c7 = f32x4.add(f32x4.mul(c7, m), a);
    c8 = f32x4.add(f32x4.mul(c8, m), a);
    c9 = f32x4.add(f32x4.mul(c9, m), a);
    c10 = f32x4.add(f32x4.mul(c10, m), a);
    c11 = f32x4.add(f32x4.mul(c11, m), a);
  }
  const s0 = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  const s = f32x4.add(s0, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)));
  return f32x4.extract_lane(s, 0);
}

/**
 * The same 12 chains through madd4: f32x4.relaxed_madd (fused, one instruction where the CPU has FMA) in
 * build/bench-relaxed.wasm, a separate multiply and add in build/bench-simd.wasm. The FMA peak the
 * relaxed build's kernels are measured against.
 */
export function peak_madd_f32(iterations: i32): f32 {
  const m = lanes(PEAK_M);
  const a = lanes(PEAK_A);
  let c0 = f32x4.splat(1), c1 = f32x4.splat(2), c2 = f32x4.splat(3), c3 = f32x4.splat(4);
  let c4 = f32x4.splat(5), c5 = f32x4.splat(6), c6 = f32x4.splat(7), c7 = f32x4.splat(8);
  let c8 = f32x4.splat(9), c9 = f32x4.splat(10), c10 = f32x4.splat(11), c11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    c0 = madd4(c0, m, a); c1 = madd4(c1, m, a); c2 = madd4(c2, m, a); c3 = madd4(c3, m, a);
    c4 = madd4(c4, m, a); c5 = madd4(c5, m, a); c6 = madd4(c6, m, a); c7 = madd4(c7, m, a);
    c8 = madd4(c8, m, a); c9 = madd4(c9, m, a); c10 = madd4(c10, m, a); c11 = madd4(c11, m, a);
  }
  const s0 = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  const s = f32x4.add(s0, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)));
  return f32x4.extract_lane(s, 0);
}
