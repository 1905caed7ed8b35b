// Loss + gradient benchmark: descent SIMD and scalar (zero-copy path: inputs and `out` already in
// WASM memory; copy path beside it), the raw kernel call (façade overhead), a fused plain-JS loop,
// and a WASM f32x4 stream-read of the same bytes, all in one process on the same data.
import { mulberry32 } from '../data/datasets.mjs';
import { loadKernels } from '../dist/index.js';
import { formatMs, measure } from './harness.mjs';
import * as plain from './plain-js.mjs';

/** Cases: name, loss, shape, data maker, the plain-JS loop and the raw kernel call. */
function cases(quick) {
  const sizes = quick ? [1e4, 1e6] : [1e3, 1e4, 1e5, 1e6];
  const list = [];
  for (const [name, js] of [['mse', plain.mse], ['mae', plain.mae], ['huber', plain.huber]]) {
    for (const n of sizes) list.push({ label: `${name} N=${n.toExponential(0).replace('+', '')}`, loss: name, rows: n, cols: 1, js, kind: 'regression' });
  }
  for (const [rows, cols] of quick ? [[256, 1000]] : [[1024, 10], [256, 1000], [64, 32000]]) {
    list.push({ label: `softmax CE [${rows},${cols}]`, loss: 'softmax_cross_entropy', rows, cols, js: plain.softmaxCrossEntropy, kind: 'softmax' });
  }
  list.push({ label: 'BCE-with-logits N=1e6', loss: 'bce_with_logits', rows: 1e6, cols: 1, js: plain.bceWithLogits, kind: 'binary' });
  return list;
}

function makeData(c, random) {
  const n = c.rows * c.cols;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (random() * 2 - 1) * 4;
  let y;
  if (c.kind === 'softmax') y = Int32Array.from({ length: c.rows }, () => Math.floor(random() * c.cols));
  else if (c.kind === 'binary') y = Float32Array.from({ length: n }, () => (random() < 0.5 ? 0 : 1));
  else y = Float32Array.from({ length: n }, () => (random() * 2 - 1) * 4);
  return { x, y, n };
}

function rawCall(k, c, x, y, g, n) {
  const r = k.raw;
  switch (c.loss) {
    case 'mse': return () => r.mse_f32(x.ptr, y.ptr, n, g.ptr, 0, 1 / n);
    case 'mae': return () => r.mae_f32(x.ptr, y.ptr, n, g.ptr, 0, 1 / n);
    case 'huber': return () => r.huber_f32(x.ptr, y.ptr, n, g.ptr, 0, 1 / n, 1, 1);
    default: return null;
  }
}

/** Runs the loss suite; returns { rows: [...], targets: [...] } for the report. */
export async function runLossBenchmarks({ quick = false, seconds = quick ? 0.3 : 1 } = {}) {
  const builds = { simd: await loadKernels({ simd: true }), scalar: await loadKernels({ simd: false }) };
  const random = mulberry32(7);
  const results = [];
  for (const c of cases(quick)) {
    const { x, y, n } = makeData(c, random);
    const gradJs = new Float32Array(n);
    const jsValue = c.kind === 'softmax' ? c.js(x, y, gradJs, c.rows, c.cols) : c.js(x, y, gradJs);
    const row = { case: c.label, elements: n, bytes: 0 };
    // bytes a kernel must move: input and target read, gradient written (class labels: 4 bytes a row)
    row.bytes = n * 4 * 2 + (c.kind === 'softmax' ? c.rows * 4 : n * 4);
    row.plainJs = await measure(() => (c.kind === 'softmax' ? c.js(x, y, gradJs, c.rows, c.cols) : c.js(x, y, gradJs)), { seconds });
    for (const [build, k] of Object.entries(builds)) {
      const input = k.alloc(n);
      const target = k.alloc(y.length, y instanceof Int32Array ? 'i32' : 'f32');
      const out = k.alloc(n);
      input.array.set(x);
      target.array.set(y);
      const options = { shape: [c.rows, c.cols], out };
      const { value } = k.loss(c.loss, input, target, options);
      if (Math.abs(value - jsValue) > 1e-4 * Math.abs(jsValue) + 1e-6) row[`${build}Mismatch`] = `✗ descent ${value} vs plain JS ${jsValue}`;
      row[build] = await measure(() => k.loss(c.loss, input, target, options), { seconds });
      row[`${build}Copy`] = await measure(() => k.loss(c.loss, x, y, { shape: [c.rows, c.cols] }), { seconds });
      const raw = rawCall(k, c, input, target, out, n);
      if (raw && build === 'simd') row.simdRaw = await measure(raw, { seconds });
      if (build === 'simd') {
        // stream-read proxy: the kernel's own three arrays (input, target, gradient), read together as f32x4
        const targetFloats = c.kind === 'softmax' ? 0 : n;
        row.streamRead = await measure(() => k.raw.stream_read3_f32(input.ptr, targetFloats ? target.ptr : input.ptr, out.ptr, n), { seconds });
      }
      for (const a of [input, target, out]) a.free();
    }
    results.push(row);
  }
  return { rows: results, targets: targets(results) };
}

function targets(rows) {
  const find = (label) => rows.find((r) => r.case === label);
  const list = [];
  const ratio = (r, key = 'simd') => r.plainJs.median / r[key].median;
  const mse = find('mse N=1e6');
  if (mse) {
    list.push({ target: 'MSE N=1e6 ≥ 4× plain JS (zero-copy)', measured: ratio(mse), goal: 4 });
    list.push({ target: 'MSE N=1e6 ≥ 60 % of stream-read bandwidth', measured: mse.streamRead.median / mse.simd.median, goal: 0.6, percent: true });
  }
  const huber = find('huber N=1e6');
  if (huber) list.push({ target: 'Huber N=1e6 ≥ 4× plain JS', measured: ratio(huber), goal: 4 });
  const ce = find('softmax CE [256,1000]');
  if (ce) list.push({ target: 'softmax CE [256,1000] ≥ 8× plain JS', measured: ratio(ce), goal: 8 });
  const bce = find('BCE-with-logits N=1e6');
  if (bce) list.push({ target: 'BCE-with-logits N=1e6 ≥ 8× plain JS', measured: ratio(bce), goal: 8 });
  return list;
}

/** The markdown table of a runLossBenchmarks result. */
export function lossTable({ rows, targets: goals }) {
  const lines = [
    '| case | plain JS | descent SIMD (zero-copy) | ×JS | GB/s | % stream | SIMD copy path | SIMD raw kernel | scalar (zero-copy) | ×JS | scalar copy | stream read |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const gbs = r.bytes / r.simd.median / 1e6;
    const flag = (m) => (m.busy ? ' ⚠' : '');
    lines.push(`| ${r.case}${r.simdMismatch ? ` ${r.simdMismatch}` : ''} | ${formatMs(r.plainJs.median)}${flag(r.plainJs)} | ` +
      `${formatMs(r.simd.median)} (${formatMs(r.simd.min)}–${formatMs(r.simd.max)})${flag(r.simd)} | ${(r.plainJs.median / r.simd.median).toFixed(1)}× | ` +
      `${gbs.toFixed(1)} | ${((100 * r.streamRead.median) / r.simd.median).toFixed(0)} % | ${formatMs(r.simdCopy.median)} | ` +
      `${r.simdRaw ? formatMs(r.simdRaw.median) : '—'} | ${formatMs(r.scalar.median)}${flag(r.scalar)} | ${(r.plainJs.median / r.scalar.median).toFixed(1)}× | ` +
      `${formatMs(r.scalarCopy.median)} | ${formatMs(r.streamRead.median)} |`);
  }
  lines.push('', '| target | measured | |', '|---|---|---|');
  for (const t of goals) {
    const shown = t.percent ? `${(100 * t.measured).toFixed(0)} %` : `${t.measured.toFixed(1)}×`;
    lines.push(`| ${t.target} | ${shown} | ${t.measured >= t.goal ? '✓' : '✗'} |`);
  }
  return lines.join('\n');
}
