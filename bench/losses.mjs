// Loss + gradient: descent SIMD and scalar (zero-copy path: input, target and `out` already in WASM
// memory; the copy path and the raw kernel call beside it), the fused plain-JS loop, tfjs-cpu and
// tfjs-wasm (`tf.valueAndGrad` over `tf.losses.*`, value read back), and the f32x4 stream read of the
// same bytes; every implementation's value and gradient are checked against plain JS before timing.
import { loadKernels } from 'descent-wasm';
import { BENCHMARK_CASES, caseData, loadRoofline, plainLoss, relativeMaxError, VALUE_RTOL } from 'descent-wasm/bench';
import { formatRatio, formatTiming, markdownTable, progress, timeCase, timingOptions } from './harness.mjs';
import { checkNoLeak, tf, tfjsBackends, useBackend } from './tfjs.mjs';

/** Largest gradient error allowed, relative to the largest plain-JS gradient element. */
const GRAD_RTOL = 1e-3;

// tf.losses.* reduce with SUM_BY_NONZERO_WEIGHTS by default: the mean over elements (rows for softmax CE), as descent's 'mean'.
const TF_LOSSES = {
  mse: (y, p) => tf.losses.meanSquaredError(y, p),
  mae: (y, p) => tf.losses.absoluteDifference(y, p),
  huber: (y, p) => tf.losses.huberLoss(y, p, undefined, 1),
  softmax_cross_entropy: (y, p) => tf.losses.softmaxCrossEntropy(y, p),
  bce_with_logits: (y, p) => tf.losses.sigmoidCrossEntropy(y, p),
};

/** Throws unless `value` and `grad` match the plain-JS float64 value and its gradient. */
function check(c, impl, value, grad, reference) {
  const valueError = Math.abs(value - reference.value) / Math.abs(reference.value);
  const gradError = relativeMaxError(grad, reference.grad);
  if (!(valueError <= VALUE_RTOL) || !(gradError <= GRAD_RTOL)) {
    throw new Error(`${c.name}, ${impl}: loss ${value} vs plain JS ${reference.value} (relative error ${valueError.toExponential(2)}, ` +
      `tolerance ${VALUE_RTOL}); gradient error ${gradError.toExponential(2)} of the largest element (tolerance ${GRAD_RTOL})`);
  }
}

function rawCall(k, c, input, target, out) {
  const r = k.raw;
  const n = input.length;
  switch (c.loss) {
    case 'mse': return () => r.mse_f32(input.ptr, target.ptr, n, out.ptr, 0, 1 / n);
    case 'mae': return () => r.mae_f32(input.ptr, target.ptr, n, out.ptr, 0, 1 / n);
    case 'huber': return () => r.huber_f32(input.ptr, target.ptr, n, out.ptr, 0, 1 / n, 1, 1);
    default: return null;
  }
}

async function timeTfjs(c, x, y, backend, reference, timing) {
  await useBackend(backend);
  const softmax = c.loss === 'softmax_cross_entropy';
  const logits = softmax ? tf.tensor2d(x, [c.rows, c.cols]) : tf.tensor1d(x);
  let targets;
  if (softmax) {
    const onehot = new Float32Array(c.rows * c.cols);
    y.forEach((label, r) => { onehot[r * c.cols + label] = 1; });
    targets = tf.tensor2d(onehot, [c.rows, c.cols]);
  } else {
    targets = tf.tensor1d(y);
  }
  const lossOf = TF_LOSSES[c.loss];
  const valueAndGrad = tf.valueAndGrad((p) => lossOf(targets, p));
  try {
    const tensors = tf.memory().numTensors;
    const first = valueAndGrad(logits);
    check(c, `tfjs (${backend})`, first.value.dataSync()[0], first.grad.dataSync(), reference);
    tf.dispose([first.value, first.grad]);
    const time = await timeCase(() => {
      const { value, grad } = valueAndGrad(logits);
      const v = value.dataSync()[0];
      tf.dispose([value, grad]);
      return v;
    }, timing);
    checkNoLeak(tensors, `${c.name} on tfjs ${backend}`);
    return time;
  } finally {
    tf.dispose([logits, targets]);
  }
}

async function timeDescent(c, x, y, k, reference, timing) {
  const build = k.simd ? 'SIMD' : 'scalar';
  const input = k.alloc(x.length);
  const target = k.alloc(y.length, y instanceof Int32Array ? 'i32' : 'f32');
  const out = k.alloc(x.length);
  try {
    input.array.set(x);
    target.array.set(y);
    const shape = [c.rows, c.cols];
    const zeroCopy = { shape, out };
    check(c, `descent ${build}`, k.loss(c.loss, input, target, zeroCopy).value, out.array, reference);
    const copied = k.loss(c.loss, x, y, { shape });
    check(c, `descent ${build} copy path`, copied.value, copied.grad, reference);
    const timings = {
      [`descent ${build}`]: await timeCase(() => k.loss(c.loss, input, target, zeroCopy), timing),
      [`descent ${build} copy path`]: await timeCase(() => k.loss(c.loss, x, y, { shape }), timing),
    };
    const raw = rawCall(k, c, input, target, out);
    if (raw && k.simd) timings['descent SIMD raw kernel'] = await timeCase(raw, timing);
    return timings;
  } finally {
    for (const a of [input, target, out]) a.free();
  }
}

/** The bandwidth ceiling: the kernel's three arrays read together as f32x4 (class labels: the input twice). */
async function timeStreamRead(roofline, c, x, y, grad, timing) {
  const reader = roofline.streamReader([x, c.loss === 'softmax_cross_entropy' ? x : y, grad]);
  try {
    return await timeCase(() => reader.read(), timing);
  } finally {
    reader.free();
  }
}

/** Runs every loss case of BENCHMARK_CASES on every implementation; returns rows with their timings. */
export async function runLossBenchmarks({ quick = false } = {}) {
  const timing = timingOptions(quick);
  const builds = [await loadKernels({ simd: true }), await loadKernels({ simd: false })];
  const roofline = await loadRoofline();
  const results = [];
  // quick: the smallest and largest sizes only
  const quickSkip = (name) => quick && (name.includes('N=1e5') || name === 'softmax CE [256,1000]');
  for (const c of BENCHMARK_CASES.filter((b) => b.kind === 'loss' && !quickSkip(b.name))) {
    progress(`losses: ${c.name}`);
    const { x, y } = caseData(c);
    const grad = new Float32Array(x.length);
    const reference = { value: plainLoss(c, x, y, grad), grad: grad.slice() };
    const timings = { 'plain JS': await timeCase(() => plainLoss(c, x, y, grad), timing) };
    for (const [label, backend] of Object.entries(tfjsBackends({ quick }))) timings[label] = await timeTfjs(c, x, y, backend, reference, timing);
    for (const k of builds) Object.assign(timings, await timeDescent(c, x, y, k, reference, timing));
    timings['limit: f32x4 stream read'] = await timeStreamRead(roofline, c, x, y, reference.grad, timing);
    // bytes a kernel must move: input and target read (class labels: 4 bytes a row), gradient written
    const bytes = x.length * 8 + y.length * 4;
    results.push({ case: c.name, loss: c.loss, elements: x.length, bytes, value: reference.value, timings });
  }
  return { rows: results, targets: lossTargets(results) };
}

function lossTargets(rows) {
  const largest = ['mse N=1e6', 'huber N=1e6', 'softmax CE [64,32000]', 'BCE-with-logits N=1e6'];
  return largest.flatMap((name) => {
    const r = rows.find((row) => row.case === name);
    if (!r) return [];
    const simd = r.timings['descent SIMD'].medianMs;
    return [
      { target: `${name}: descent SIMD ≥ 10× tfjs-wasm`, measured: r.timings['tfjs-wasm'].medianMs / simd, goal: 10 },
      { target: `${name}: descent SIMD ≥ 4× plain JS`, measured: r.timings['plain JS'].medianMs / simd, goal: 4 },
    ];
  });
}

/** The markdown table of a runLossBenchmarks result: one line per case and implementation. */
export function lossTable({ rows }) {
  const lines = [];
  for (const r of rows) {
    const t = r.timings;
    for (const [impl, time] of Object.entries(t)) {
      const limit = impl.startsWith('limit');
      const notes = [];
      if (impl === 'descent SIMD' || limit) notes.push(`${(r.bytes / time.medianMs / 1e6).toFixed(1)} GB/s`);
      if (impl === 'descent SIMD') notes.push(`${((100 * t['limit: f32x4 stream read'].medianMs) / time.medianMs).toFixed(0)} % of stream read`);
      if (time.busy && time.othersCores !== null) notes.push(`others used ${time.othersCores.toFixed(2)} cores`);
      lines.push([r.case, impl, formatTiming(time),
        ...['plain JS', 'tfjs-cpu', 'tfjs-wasm'].map((b) => (limit ? '—' : formatRatio(time, t[b]))), notes.join(', ')]);
    }
  }
  return markdownTable(['case', 'implementation', 'median (min–max)', '× plain JS', '× tfjs-cpu', '× tfjs-wasm', 'notes'], lines);
}
