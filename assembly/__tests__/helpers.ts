// What the specs share: a seeded generator and the f32 error in ulps.

let state: u32 = 12345;

/** Restarts the generator (each spec file starts from its own seed). */
export function seedRandom(seed: u32): void {
  state = seed;
}

/** A uniform number in [0, 1) from xorshift32. */
export function random(): f64 {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return <f64>state / 4294967296.0;
}

/** Relative error of an f32 result in units of 2^-23 (ulps at 1). */
export function ulps(got: f32, want: f64): f64 {
  if (want == 0) return Math.abs(<f64>got) * 8388608.0;
  return Math.abs((<f64>got - want) / want) * 8388608.0;
}
