// The 2-D playground's data sets (as in TensorFlow Playground): points in [-1, 1]² with two classes,
// drawn from a seeded generator so a seed gives the same points every time.
import { mulberry32 } from '../data/random.mjs';

const POINTS = 400;
const NOISE = 0.06;

/** A standard normal sample from two uniforms (Box–Muller). */
const gaussian = (random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

const shapes = {
  spirals(i, random) {
    const label = i % 2;
    const t = (i >> 1) / (POINTS / 2); // 0 … 1 along the arm
    const angle = 1.25 * t * 2 * Math.PI + label * Math.PI;
    // the arms start apart (radius 0.12, not 0): at the centre they would overlap within the noise,
    // and no network could get those points right
    const radius = 0.12 + 0.78 * t;
    return [radius * Math.cos(angle), radius * Math.sin(angle), label];
  },
  circles(i, random) {
    const label = i % 2;
    const radius = label ? 0.55 + 0.35 * random() : 0.35 * random();
    const angle = 2 * Math.PI * random();
    return [radius * Math.cos(angle), radius * Math.sin(angle), label];
  },
  xor(i, random) {
    const [x, y] = [2 * random() - 1, 2 * random() - 1];
    const nudge = (v) => v + Math.sign(v) * 0.05; // a thin gap along the axes, as in the Playground
    return [nudge(x) * 0.9, nudge(y) * 0.9, x * y > 0 ? 0 : 1];
  },
  moons(i, random) {
    const label = i % 2;
    const angle = Math.PI * random();
    return label
      ? [0.6 * (1 - Math.cos(angle)) - 0.3, 0.6 * (0.25 - Math.sin(angle)) + 0.05, 1]
      : [0.6 * Math.cos(angle) - 0.3, 0.6 * Math.sin(angle) - 0.15, 0];
  },
};

/** One of spirals, circles, xor, moons as { x, y, rows, cols: 2, classes: 2 }. */
export function planeDataset(name, seed = 1) {
  const random = mulberry32(seed);
  const x = new Float32Array(2 * POINTS);
  const y = new Int32Array(POINTS);
  for (let i = 0; i < POINTS; i++) {
    const [a, b, label] = shapes[name](i, random);
    x[2 * i] = a + NOISE * gaussian(random);
    x[2 * i + 1] = b + NOISE * gaussian(random);
    y[i] = label;
  }
  return { x, y, rows: POINTS, cols: 2, classes: 2 };
}

export const PLANE_NAMES = Object.keys(shapes);
