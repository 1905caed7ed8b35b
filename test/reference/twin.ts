// State neutrality checks of a probe (findLearningRate, gradientNoiseScale): after it, a trainer's
// next fit must be bit for bit what a twin trainer, which never ran the probe, does.
import { expect } from 'vitest';
import type { Features, FitOptions, History, Targets } from '../../src/index.js';

interface Fits {
  fit(x: Features, y: Targets, options?: FitOptions): Promise<History>;
  getWeights(): Record<string, Float32Array> | Promise<Record<string, Float32Array>>;
}

/** A history without its wall-clock times (`ms`), the one part that differs run to run. */
export const withoutTimes = (history: History) => ({ ...history, epochs: history.epochs.map(({ ms: _, ...log }) => log) });

/** `t`'s next fit gives the twin's history (times aside) and weights. */
export async function expectNextFitAsTwin(t: Fits, twin: Fits, x: Features, y: Targets, options: FitOptions): Promise<void> {
  const expected = await twin.fit(x, y, options);
  expect(withoutTimes(await t.fit(x, y, options))).toEqual(withoutTimes(expected));
  expect(await t.getWeights()).toEqual(await twin.getWeights());
}
