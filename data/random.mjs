// Seeded randomness for the data helpers and the CLI (no dependencies, so the CLI can import it
// without the optional data packages).

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The integers 0 … n − 1 in a seeded random order (Fisher–Yates driven by mulberry32(seed)). */
export function seededOrder(n, seed) {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
