// Seeded randomness. Every stream is derived from (seed, purpose, counter) so a run is reproducible
// and resumable: initial weights from (seed, layer), the shuffle order from (seed, global epoch).

/** lowbias32 (Chris Wellons): a well-mixed 32-bit integer hash. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** A generator of uniform numbers in [0, 1) (mulberry32) seeded from several integers. */
export class Random {
  #state: number;

  constructor(...keys: number[]) {
    let state = 0x9e3779b9;
    for (const key of keys) state = hash32((state ^ hash32(key >>> 0)) >>> 0);
    this.#state = state;
  }

  /** Uniform in [0, 1), 32 random bits. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Normal with standard deviation `std`, redrawn outside ±2·std (Keras' truncated normal). */
  truncatedNormal(std: number): number {
    for (;;) {
      const z = this.normal();
      if (Math.abs(z) <= 2) return z * std;
    }
  }

  /** Fisher–Yates shuffle of `array` in place. */
  shuffle(array: Int32Array): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = array[i]!;
      array[i] = array[j]!;
      array[j] = t;
    }
  }
}
