// Digits drawn on the demo's pad (test/fixtures/demo/drawn-digits.json: 0–9 in several handwriting
// styles, three variants each) go through the pad's preprocessing (demo/digit-input.js) and are read
// by the network the "MNIST with a small CNN" preset trains (its settings, its data split): at least
// 90 % must be read right. The pad's ink is rasterised here as the canvas draws it: a round pen
// PEN pad pixels wide, anti-aliased coverage, the faintest coverage dropped (draw-pad.js).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTrainer } from '../src/index.js';
import { presetPlan } from './demo-presets.js';
// @ts-expect-error: plain JavaScript module without declarations
import { loadMnist, trainTestSplit } from '../data/datasets.mjs';
// @ts-expect-error: plain JavaScript module without declarations
import { digitInput } from '../demo/digit-input.js';

const SIZE = 224;
const PEN = 18;

interface Drawing { digit: number; style: string; strokes: [number, number][][] }
const { drawings } = JSON.parse(readFileSync(new URL('./fixtures/demo/drawn-digits.json', import.meta.url), 'utf8')) as { drawings: Drawing[] };

/** The pad's ink for `strokes` (fractions of the pad): coverage of a round pen, anti-aliased over one pixel. */
function rasterise(strokes: [number, number][][]): Float32Array {
  const ink = new Float32Array(SIZE * SIZE);
  const radius = PEN / 2;
  for (const stroke of strokes) {
    const points = stroke.map(([x, y]) => [x * SIZE, y * SIZE] as const);
    for (let s = 0; s < Math.max(1, points.length - 1); s++) {
      const [ax, ay] = points[s]!;
      const [bx, by] = points[Math.min(s + 1, points.length - 1)]!;
      const [dx, dy] = [bx - ax, by - ay];
      const length2 = dx * dx + dy * dy || 1;
      for (let y = Math.max(0, Math.floor(Math.min(ay, by) - radius - 1)); y < Math.min(SIZE, Math.ceil(Math.max(ay, by) + radius + 1)); y++) {
        for (let x = Math.max(0, Math.floor(Math.min(ax, bx) - radius - 1)); x < Math.min(SIZE, Math.ceil(Math.max(ax, bx) + radius + 1)); x++) {
          const [px, py] = [x + 0.5, y + 0.5];
          const t = Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / length2));
          const distance = Math.hypot(px - ax - t * dx, py - ay - t * dy);
          const coverage = Math.min(1, Math.max(0, radius + 0.5 - distance));
          ink[y * SIZE + x] = Math.max(ink[y * SIZE + x]!, coverage);
        }
      }
    }
  }
  // the canvas keeps 8-bit levels, and the pad drops the faintest anti-aliasing (red < 16)
  return ink.map((v) => (Math.round(v * 255) < 16 ? 0 : Math.round(v * 255) / 255));
}

describe('digits drawn on the pad', () => {
  it('the fixture holds every digit 0–9 in at least two styles, three variants each', () => {
    for (let digit = 0; digit < 10; digit++) {
      const styles = new Set(drawings.filter((d) => d.digit === digit).map((d) => d.style.split(' ')[0]));
      expect(styles.size, `styles of ${digit}`).toBeGreaterThanOrEqual(2);
    }
    expect(drawings.length).toBeGreaterThanOrEqual(60);
  });

  it("are read at ≥ 90 % by the MNIST CNN preset's network", async () => {
    const plan = presetPlan('mnistCnn');
    expect(plan.values.network).toBe('cnn');
    const { train, test } = trainTestSplit(loadMnist(), 0.2, plan.values.seed) as { train: { x: Float32Array; y: Int32Array }; test: { x: Float32Array; y: Int32Array } };
    const trainer = await createTrainer(plan.spec, { worker: false });
    const started = performance.now();
    await trainer.fit(await trainer.dataset(train.x, train.y), { epochs: plan.epochs, batchSize: plan.batchSize });
    const seconds = (performance.now() - started) / 1000;
    const heldOut = (await trainer.evaluate(test.x, test.y)).accuracy!;
    const rows = drawings.map((d) => digitInput(rasterise(d.strokes), SIZE, [28, 28], PEN) as Float32Array);
    const x = new Float32Array(rows.length * 784);
    rows.forEach((row, r) => x.set(row, r * 784));
    const outputs = await trainer.predict(x);
    const read = drawings.map((_, r) => {
      const row = Array.from(outputs.subarray(r * 10, r * 10 + 10));
      return row.indexOf(Math.max(...row));
    });
    const wrong = drawings.filter((d, r) => read[r] !== d.digit).map((d, r) => `${d.digit} (${d.style}) read as ${read[drawings.indexOf(d)]}`);
    const accuracy = 1 - wrong.length / drawings.length;
    console.log(`[demo] MNIST CNN preset: ${plan.epochs} epochs in ${seconds.toFixed(1)} s (in-thread), held-out ${(100 * heldOut).toFixed(2)} %; ` +
      `drawn digits read ${(100 * accuracy).toFixed(1)} % (${drawings.length - wrong.length}/${drawings.length}); wrong: ${wrong.join(', ') || 'none'}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    await trainer.dispose();
  }, 300_000);
});
