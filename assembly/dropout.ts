// Inverted dropout with a counter-based generator: the mask of element i at a given (seed, step,
// layer) is a pure function of those numbers, so a run is reproducible and resumable from the step
// count alone, with no generator state to save.

// @ts-ignore: decorator
@inline
function hash32(x: u32): u32 {
  // lowbias32 (Chris Wellons): a well-mixed 32-bit integer hash
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

/**
 * y = x·mask/(1 − rate), with mask[i] = 0 with probability `rate`; writes the scaled mask
 * (0 or 1/(1 − rate)) into `mask` for the backward pass. `key` mixes seed, step and layer; element i
 * draws counter `first + i`, so a batch split into shards (first = shard's row offset × width) gets
 * the same masks as the whole batch.
 */
export function dropout_forward_f32(x: usize, y: usize, mask: usize, n: i32, rate: f32, key: u32, first: i32): void {
  const threshold = <u32>(<f64>rate * 4294967296.0);
  const scale: f32 = 1 / (1 - rate);
  const base = hash32(key);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m: f32 = hash32(base ^ hash32(<u32>(i + first) + 0x9e3779b9)) >= threshold ? scale : 0;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

/** Mixes seed, step and layer index into one dropout key. */
export function dropout_key(seed: u32, step: u32, layer: u32): u32 {
  return hash32(hash32(hash32(seed) ^ step) ^ (layer * 0x85ebca6b));
}
