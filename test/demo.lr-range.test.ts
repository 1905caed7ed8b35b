// The demo's learning-rate range test (demo/lr-range.js spans, run as the page runs it: 100 steps at the
// preset's batch size on its training rows) gives a suggestion inside the span on every preset.
import { describe, expect, it } from 'vitest';
import { createTrainer } from '../src/index.js';
import { type PresetValues, presetPlan } from './demo-presets.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadDigits, loadMnist, trainTestSplit } from '../data/datasets.mjs';
// @ts-expect-error: plain JavaScript module without declarations
import { rangeFor } from '../demo/lr-range.js';
// @ts-expect-error: plain JavaScript module without declarations
import { planeDataset } from '../demo/plane-data.js';
// @ts-expect-error: plain JavaScript module without declarations
import { PRESETS } from '../demo/settings.js';

const load = (values: PresetValues) => (values.dataset === 'digits' ? loadDigits() : values.dataset === 'mnist' ? loadMnist() : planeDataset(values.dataset, values.seed));

describe("the demo's learning-rate range test", () => {
  it.each(Object.keys(PRESETS))('suggests a rate inside its span for preset %s', async (name) => {
    const { spec, batchSize, values } = presetPlan(name);
    const { train } = trainTestSplit(load(values), 0.2, values.seed);
    const range = rangeFor(values.optimizer);
    const trainer = await createTrainer(spec, { worker: false });
    const { suggestion } = await trainer.findLearningRate(train.x, train.y, { ...range, steps: 100, batchSize });
    await trainer.dispose();
    expect(suggestion).toBeGreaterThan(range.minLr);
    expect(suggestion).toBeLessThan(range.maxLr);
  });
});
