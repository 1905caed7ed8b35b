// The loss explorer: evaluates each loss on a grid of points with reduction 'none', whose items are
// the per-point losses and whose gradient (of their sum) is the per-point derivative.
import { LOSS_NAMES, loadKernels } from 'descent-wasm';
import { BUILD_LABELS, fillBuildSelect } from './builds.js';
import { nearestIndex, refreshLegend, restingValue } from './legend.js';
import './locale.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const $ = (id) => document.getElementById(id);
const POINTS = 481;

// What to sweep for each loss: the x range, and how input and target are made from a grid value t.
const sweeps = {
  residual: { from: -4, to: 4, label: 'residual d = x − y', make: (t) => [t, 0] },
  logit: { from: -6, to: 6, label: 'logit x (target 1)', make: (t) => [t, 1] },
  score: { from: -3, to: 3, label: 'score x (target 1)', make: (t) => [t, 1] },
  probability: { from: 0.005, to: 0.995, label: 'probability p (target 1)', make: (t) => [t, 1] },
  rate: { from: 0.05, to: 6, label: 'rate x (count 2)', make: (t) => [t, 2] },
};
const sweepOf = {
  binary_cross_entropy: 'probability', cross_entropy: 'probability', kl_div: 'probability',
  bce_with_logits: 'logit', softmax_cross_entropy: 'logit', nll: 'logit',
  hinge: 'score', squared_hinge: 'score', poisson: 'rate',
};
// Row losses shown as two-class rows: [x, 1 − x] or [x, 0] against class 0.
const twoClass = new Set(['cross_entropy', 'kl_div', 'softmax_cross_entropy', 'nll']);

fillBuildSelect($('build-choice'));
const kernels = Object.fromEntries(await Promise.all([...$('build-choice').options].map(async ({ value }) => [value, await loadKernels({ build: value })])));
for (const name of LOSS_NAMES) $('loss').append(new Option(name, name));

function curve(k, name, options) {
  const sweep = sweeps[sweepOf[name] ?? 'residual'];
  const grid = Float64Array.from({ length: POINTS }, (_, i) => sweep.from + ((sweep.to - sweep.from) * i) / (POINTS - 1));
  if (twoClass.has(name)) {
    const probs = name === 'cross_entropy' || name === 'kl_div';
    const input = new Float32Array(POINTS * 2);
    grid.forEach((t, i) => { input[2 * i] = t; input[2 * i + 1] = probs ? 1 - t : 0; });
    const target = name === 'nll' || name === 'softmax_cross_entropy'
      ? new Int32Array(POINTS)
      : Float32Array.from({ length: POINTS * 2 }, (_, j) => (j % 2 === 0 ? 1 : 0));
    const in_ = name === 'nll' ? input.map((v, j) => (j % 2 === 0 ? Math.log(Math.max(grid[j >> 1], 1e-6)) : Math.log(1e-6))) : input;
    const { value, grad } = k.loss(name, in_, target, { reduction: 'none', shape: [POINTS, 2] });
    return { sweep, grid, loss: value, grad: grad.filter((_, j) => j % 2 === 0) };
  }
  const input = new Float32Array(POINTS);
  const target = new Float32Array(POINTS);
  grid.forEach((t, i) => { [input[i], target[i]] = sweep.make(t); });
  const { value, grad } = k.loss(name, input, target, { reduction: 'none', ...options });
  return { sweep, grid, loss: value, grad };
}

const SLIDERS = { huber: ['delta'], smooth_l1: ['delta'], barron: ['alpha', 'scale'] };
const fixed = (v) => (v == null ? '–' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
const ticks = (u, values) => values.map((v) => fixed(v));
/** A scale that shows a curve's finite values (capped, so a pole does not flatten the rest) and 0. */
const range = (values) => () => {
  const finite = values().filter(Number.isFinite);
  let [lo, hi] = [Math.min(0, ...finite), Math.max(0, ...finite)];
  const cap = 20;
  [lo, hi] = [Math.max(lo, -cap), Math.min(hi, cap)];
  const pad = (hi - lo) * 0.05 || 1;
  return [lo - (lo < 0 ? pad : 0), hi + pad];
};

/** A y axis as wide as its longest tick label (uPlot's fixed 50 px let "gradient" overlap labels like −0.50). */
function axisSize(u, values, axisIndex, cycle) {
  const axis = u.axes[axisIndex];
  if (cycle > 1) return axis._size;
  const longest = (values ?? []).reduce((a, v) => (String(v).length > a.length ? String(v) : a), '');
  u.ctx.font = axis.font[0];
  return Math.ceil(axis.ticks.size + axis.gap + u.ctx.measureText(longest).width / devicePixelRatio + 4);
}

let current = { grid: [], loss: [], grad: [] };
const atOne = (u) => nearestIndex(u.data[0], 1); // the legend's reading with nothing hovered
const plot = new uPlot({
  width: $('plot').clientWidth - 20,
  height: 340,
  scales: { x: { time: false, range: () => [current.grid[0] ?? 0, current.grid[current.grid.length - 1] ?? 1] }, loss: { range: range(() => Array.from(current.loss)) }, grad: { range: range(() => Array.from(current.grad)) } },
  axes: [
    { label: 'residual', values: ticks },
    { label: 'loss', scale: 'loss', values: ticks, stroke: '#0b63c5', size: axisSize },
    { label: 'gradient', scale: 'grad', side: 1, grid: { show: false }, values: ticks, stroke: '#c5490b', size: axisSize },
  ],
  series: [
    { label: 'x', value: restingValue(fixed, atOne) },
    { label: 'loss', scale: 'loss', stroke: '#0b63c5', width: 2, value: restingValue(fixed, atOne) },
    { label: 'gradient', scale: 'grad', stroke: '#c5490b', width: 2, value: restingValue(fixed, atOne) },
  ],
  hooks: { draw: [() => { $('plot').dataset.draws = String(Number($('plot').dataset.draws ?? 0) + 1); }] },
}, [[], [], []], $('plot'));
new ResizeObserver(() => plot.setSize({ width: $('plot').clientWidth - 20, height: $('plot').clientWidth < 500 ? 260 : 340 })).observe($('plot'));

function draw({ sweep, grid, loss, grad }) {
  current = { grid, loss, grad };
  plot.axes[0].label = sweep.label;
  plot.setData([Array.from(grid), Array.from(loss, (v) => (Number.isFinite(v) ? v : null)), Array.from(grad, (v) => (Number.isFinite(v) ? v : null))]);
  plot.redraw(true, true);
  refreshLegend(plot);
}

function render() {
  const name = $('loss').value;
  const k = kernels[$('build-choice').value];
  const alphaSlider = Number($('alpha').value);
  const alpha = alphaSlider <= -10 ? -Infinity : alphaSlider;
  const delta = Number($('delta').value);
  $('deltaOut').value = delta;
  $('alphaOut').value = alpha;
  $('scaleOut').value = $('scale').value;
  $('build').value = `${BUILD_LABELS[k.build]} build`;
  const used = SLIDERS[name] ?? [];
  for (const id of ['delta', 'alpha', 'scale']) $(id).disabled = !used.includes(id);
  $('uses').textContent = used.length ? `${name} uses the ${used.join(' and ')} slider${used.length > 1 ? 's' : ''}.` : `${name} has no parameter to slide.`;
  const options = {
    huber: { delta: Math.max(delta, 0.05) },
    smooth_l1: { beta: delta },
    barron: { alpha, scale: Number($('scale').value) },
  }[name];
  draw(curve(k, name, options));
}

const examples = {};
for (const k of Object.values(kernels)) {
  examples[k.build] = {
    mse: k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5], { grad: false }).value,
    crossEntropy: k.loss('cross_entropy', [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]], [[1, 0], [1, 1], [0, 1]], { grad: false }).value,
  };
}
$('examples').textContent = [
  // the expected values head the table: short lines that fit a phone
  `${'expected'.padEnd(9)}mse ${'0.068'.padEnd(8)}cross_entropy 0.61086`,
  ...Object.entries(examples).map(([build, e]) => `${build.padEnd(9)}mse ${e.mse.toFixed(4).padEnd(8)}cross_entropy ${e.crossEntropy.toFixed(5)}`),
].join('\n');
$('examples').dataset.results = JSON.stringify(examples);

for (const id of ['loss', 'build-choice', 'delta', 'alpha', 'scale']) $(id).addEventListener('input', render);
render();
document.body.dataset.ready = 'true';
