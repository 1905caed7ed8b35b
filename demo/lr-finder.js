// "Find learning rate" and the batch-size estimate: both ask a throw-away trainer, built from the
// form's current settings in its own worker, and dispose it afterwards (the measurements leave a
// trainer as it was, but the page's run may not exist yet or may be locked to other settings).
// The range test's curve is drawn on a log axis with the suggestion marked; a click applies a rate.
import { createTrainer } from 'descent-wasm';
import './locale.js';
import uPlot from 'uplot';
import { loadSplit } from './data-client.js';
import { nearestIndex, refreshLegend, restingValue } from './legend.js';
import { rangeFor } from './lr-range.js';

/** Builds a trainer for `plan` on its training rows, runs `measure(trainer, rows)`, disposes it. */
async function withProbe(plan, measure) {
  const { train } = await loadSplit(plan.dataset, plan.seed);
  const trainer = await createTrainer(plan.spec, { workers: plan.workers });
  try {
    return await measure(trainer, await trainer.dataset(train.x, train.y, { transfer: true }));
  } finally {
    await trainer.dispose();
  }
}

const decade = (v) => `10${[...String(Math.round(Math.log10(v)))].map((c) => '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'['-0123456789'.indexOf(c)]).join('')}`;
const exponent = (v) => v.toExponential(1).replace('e-', ' × 10⁻').replace('e+', ' × 10^');
const short = (v) => (v >= 0.01 ? v.toPrecision(2) : v.toExponential(1));

function curvePlot(container, apply) {
  let suggestion = NaN;
  let first = Infinity; // the loss before any real step: the y axis stops at 2.5 × it (the blow-up leaves the chart)
  const atSuggestion = (u) => (Number.isFinite(suggestion) ? nearestIndex(u.data[0], suggestion) : null); // the legend with nothing hovered
  const plot = new uPlot({
    width: container.clientWidth || 400,
    height: 220,
    scales: { x: { time: false, distr: 3 }, y: { range: (u, min, max) => [Math.max(0, min * 0.95), Math.min(max, 2.5 * first) * 1.02] } },
    axes: [
      { label: 'learning rate (log scale)', values: (u, ticks) => ticks.map((t) => (Math.log10(t) % 1 === 0 ? short(t) : '')) },
      { label: 'loss', values: (u, ticks) => ticks.map((t) => t.toPrecision(2)), size: 50 },
    ],
    series: [{ label: 'learning rate', value: restingValue((v) => (v == null ? '–' : short(v)), atSuggestion) },
      { label: 'smoothed loss', stroke: '#0b63c5', width: 2, value: restingValue((v) => (v == null ? '–' : v.toFixed(4)), atSuggestion) }],
    hooks: {
      draw: [(u) => {
        if (!Number.isFinite(suggestion)) return;
        const x = u.valToPos(suggestion, 'x', true);
        const { ctx } = u;
        ctx.save();
        ctx.strokeStyle = '#c5490b';
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      }],
    },
  }, [[], []], container);
  new ResizeObserver(() => plot.setSize({ width: container.clientWidth, height: 220 })).observe(container);
  // a click on the curve applies the rate under the pointer
  plot.over.addEventListener('click', () => {
    const index = plot.cursor.idx;
    if (index != null) apply(plot.data[0][index]);
  });
  return (lrs, losses, suggested) => {
    suggestion = suggested;
    first = losses.find(Number.isFinite) ?? Infinity;
    const finite = losses.map((v) => (Number.isFinite(v) ? v : null));
    plot.setData([lrs, finite]);
    refreshLegend(plot);
  };
}

export function lrTools($, { form, plan, busy }) {
  const draw = curvePlot($('lr-plot'), (lr) => use(lr));

  function use(lr) {
    form.fill({ lr: short(lr) });
    $('lr-result').textContent = `Learning rate set to ${short(lr)}.`;
    $('form').dispatchEvent(new Event('input', { bubbles: true })); // the URL follows
  }

  async function findLearningRate() {
    const settings = plan();
    if (!settings) return;
    busy(true);
    $('lr-panel').hidden = false;
    const range = rangeFor(settings.values.optimizer);
    $('lr-result').textContent = `trying rates from ${decade(range.minLr)} to ${decade(range.maxLr)} on a copy of the network, in a worker…`;
    try {
      const { lrs, losses, suggestion } = await withProbe(settings, (trainer, rows) =>
        trainer.findLearningRate(rows, { ...range, steps: 100, batchSize: settings.batchSize }));
      draw(lrs, losses, suggestion);
      $('lr-use').hidden = !Number.isFinite(suggestion);
      $('lr-use').textContent = `Use ${short(suggestion)}`;
      $('lr-use').onclick = () => use(suggestion);
      $('lr-result').textContent = Number.isFinite(suggestion)
        ? `Suggested: ${exponent(suggestion)}, where the loss falls fastest. Click the curve to pick another rate.`
        : 'The loss diverged almost at once: no suggestion (try a smaller network or batch size).';
      $('lr-panel').dataset.suggestion = String(suggestion);
    } catch (error) {
      $('lr-result').textContent = `could not run the range test: ${error.message}`;
    } finally {
      busy(false);
    }
  }

  async function estimateBatchSize() {
    const settings = plan();
    if (!settings) return;
    busy(true);
    $('noise-result').textContent = 'measuring gradient noise…';
    try {
      const { bSimple: bNoise } = await withProbe(settings, (trainer, rows) => trainer.gradientNoiseScale(rows, { smallBatchSize: 8, largeBatchSize: 64, batches: 20 }));
      $('noise-result').textContent = Number.isFinite(bNoise) && bNoise > 0
        ? `Useful batch size ≈ ${Math.round(bNoise)}: beyond it, bigger batches barely speed up learning.`
        : 'The gradient is within its own noise here: any batch size learns about as well.';
      $('noise-result').dataset.bNoise = String(bNoise);
    } catch (error) {
      $('noise-result').textContent = `could not estimate: ${error.message}`;
    } finally {
      busy(false);
    }
  }

  $('find-lr').addEventListener('click', findLearningRate);
  $('estimate-batch').addEventListener('click', estimateBatchSize);
}
