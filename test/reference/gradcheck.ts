// Gradients against central differences of a float64 objective, the check every layer and loss
// test shares: how far the gradient the trainer applied lands from the differences, and how large
// the differences are (so a test can ask that it saw real gradients).

/**
 * For every element of `w` (parameters by checkpoint name, float64) not skipped, the central
 * difference of `objective` (which reads `w`) with step `h`, against `applied(name, i)`.
 */
export function centralDifferences(
  w: Record<string, number[]>, applied: (name: string, i: number) => number, objective: () => number,
  h: number, skip: (name: string, i: number) => boolean = () => false,
): { worst: number; scale: number } {
  let worst = 0;
  let scale = 0;
  for (const [name, values] of Object.entries(w)) {
    values.forEach((v, i) => {
      if (skip(name, i)) return;
      values[i] = v + h;
      const plus = objective();
      values[i] = v - h;
      const minus = objective();
      values[i] = v;
      const fd = (plus - minus) / (2 * h);
      scale = Math.max(scale, Math.abs(fd));
      worst = Math.max(worst, Math.abs(applied(name, i) - fd));
    });
  }
  return { worst, scale };
}
