// The loss explorer: evaluates each loss on a grid of points with reduction 'none', whose items are
// the per-point losses and whose gradient (of their sum) is the per-point derivative.
import { LOSS_NAMES, loadKernels } from 'descent-wasm';

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

const kernels = { true: await loadKernels({ simd: true }).catch(() => null), false: await loadKernels({ simd: false }) };
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

function draw({ sweep, grid, loss, grad }) {
  const canvas = $('plot');
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  const pad = 40;
  ctx.clearRect(0, 0, width, height);
  const finite = [...loss, ...grad].filter(Number.isFinite);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(1e-6, ...finite.map((v) => Math.min(v, 20)));
  const px = (t) => pad + ((t - grid[0]) / (grid[grid.length - 1] - grid[0])) * (width - 2 * pad);
  const py = (v) => height - pad - ((Math.min(v, hi) - lo) / (hi - lo)) * (height - 2 * pad);
  ctx.strokeStyle = '#8c959f';
  ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(pad, py(0)); ctx.lineTo(width - pad, py(0)); ctx.stroke();
  ctx.fillStyle = '#57606a';
  ctx.font = '13px system-ui';
  ctx.fillText(sweep.label, width / 2 - 60, height - 12);
  ctx.fillText(hi.toFixed(2), 4, pad);
  ctx.fillText(lo.toFixed(2), 4, height - pad);
  for (const [values, color] of [[loss, '#0b63c5'], [grad, '#c5490b']]) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => (i ? ctx.lineTo(px(grid[i]), py(v)) : ctx.moveTo(px(grid[i]), py(v))));
    ctx.stroke();
  }
}

function render() {
  const name = $('loss').value;
  const k = kernels[$('simd').value] ?? kernels.false;
  const alphaSlider = Number($('alpha').value);
  const alpha = alphaSlider <= -10 ? -Infinity : alphaSlider;
  const delta = Number($('delta').value);
  $('deltaOut').value = delta;
  $('alphaOut').value = alpha;
  $('scaleOut').value = $('scale').value;
  $('build').value = k.simd ? 'SIMD build' : 'scalar build';
  const options = {
    huber: { delta: Math.max(delta, 0.05) },
    smooth_l1: { beta: delta },
    barron: { alpha, scale: Number($('scale').value) },
  }[name];
  draw(curve(k, name, options));
}

const examples = {};
for (const k of Object.values(kernels)) {
  if (!k) continue;
  examples[k.simd ? 'simd' : 'scalar'] = {
    mse: k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5], { grad: false }).value,
    crossEntropy: k.loss('cross_entropy', [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]], [[1, 0], [1, 1], [0, 1]], { grad: false }).value,
  };
}
$('examples').textContent =
  Object.entries(examples).map(([build, e]) =>
    `${build.padEnd(6)}  mse = ${e.mse.toFixed(4)} (0.068)   cross_entropy = ${e.crossEntropy.toFixed(5)} (0.61086)`).join('\n');
$('examples').dataset.results = JSON.stringify(examples);

for (const id of ['loss', 'simd', 'delta', 'alpha', 'scale']) $(id).addEventListener('input', render);
render();
document.body.dataset.ready = 'true';
