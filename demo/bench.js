// The benchmark page: starts the suite in a Web Worker, fills the bar chart and the table row by row,
// and states the headline (geometric mean of the speed-ups) when it is done; then, when asked, times
// TensorFlow.js beside descent on the same training (bench-tfjs.worker.js) and counts the threads the
// page really gets (threads.js).
import { BUILD_LABELS, fillBuildSelect } from './builds.js';
import { startMeter } from './meter.js';
import { measureThreads } from './threads.js';

const $ = (id) => document.getElementById(id);
const meter = startMeter({ pulse: $('pulse'), fps: $('fps'), gap: $('gap'), meter: $('meter') });
fillBuildSelect($('build-choice'));
const ms = (v) => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);
const ratio = (v) => `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×`;

/** Plain words for the suite's case names. */
function plainName(name) {
  return name
    .replace(/^GEMM (\S+) /, 'matrix multiply $1 ')
    .replace(/^softmax CE/, 'softmax cross-entropy')
    .replace(/^BCE-with-logits/, 'binary cross-entropy (logits)')
    .replace(/^MLP 784-128-10, Adam, batch 128: epoch of 512 rows/, 'MLP training epoch (784-128-10, 512 images)')
    .replace(/: forward \+ backward$/, ', forward + backward');
}

function drawBars(rows) {
  const speedups = rows.filter((r) => r.impl !== 'plain JS');
  const top = Math.log(Math.max(2, ...speedups.map((r) => r.ratio)));
  $('bars').replaceChildren(...speedups.map((r) => {
    const bar = document.createElement('div');
    bar.className = 'speedup';
    const width = Math.max(1, (100 * Math.log(Math.max(1, r.ratio))) / top);
    bar.innerHTML = `<span class="name">${plainName(r.case)}</span><span class="track"><span class="fill${r.ratio < 1 ? ' slower' : ''}" ` +
      `style="width:${width.toFixed(1)}%"></span></span><span class="value">${ratio(r.ratio)}</span>`;
    return bar;
  }));
}

function headline(rows) {
  const speedups = rows.filter((r) => r.impl !== 'plain JS').map((r) => r.ratio);
  if (!speedups.length) return;
  const mean = Math.exp(speedups.reduce((s, v) => s + Math.log(v), 0) / speedups.length);
  const mlp = rows.find((r) => r.impl !== 'plain JS' && r.case.startsWith('MLP'));
  $('headline').textContent = `In this browser, descent is ${ratio(mean)} faster than plain JavaScript ` +
    `(geometric mean of ${speedups.length} cases${mlp ? `; training an MLP epoch: ${ratio(mlp.ratio)}` : ''}).`;
}

const speed = (v) => `${v >= 100 ? v.toFixed(0) : v.toPrecision(3)}/s`;

/** Times TensorFlow.js beside descent in a worker, filling the peers table; resolves to the rows. */
function comparePeers(quick) {
  const body = $('peers').tBodies[0];
  body.replaceChildren();
  $('peers-panel').hidden = false;
  const rows = [];
  const cases = new Map();
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./bench-tfjs.worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      if (data.row) {
        const r = data.row;
        rows.push(r);
        if (!cases.has(r.case)) {
          const row = body.insertRow();
          row.insertCell().textContent = r.case;
          row.append(...['descent', 'tfjs-wasm', 'tfjs-cpu'].map(() => document.createElement('td')));
          cases.set(r.case, row);
        }
        const cell = cases.get(r.case).cells[['descent', 'tfjs-wasm', 'tfjs-cpu'].indexOf(r.impl) + 1];
        const ours = rows.find((o) => o.case === r.case && o.impl === 'descent' && !o.error);
        if (r.error) {
          cell.innerHTML = '<abbr>cannot train it</abbr>';
          cell.querySelector('abbr').title = r.error;
        } else {
          cell.textContent = speed(r.samplesPerSecond);
          cell.title = `median ${ms(r.ms)} for ${r.rows} samples`;
          if (r.impl !== 'descent' && ours) cell.insertAdjacentHTML('beforeend', `<small><br>descent ${ratio(ours.samplesPerSecond / r.samplesPerSecond)}</small>`);
        }
      } else if (data.done) {
        $('tfjs-version').value = data.tfjs;
        worker.terminate();
        resolve(rows);
      } else if (data.error) {
        worker.terminate();
        reject(new Error(data.error));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`the TensorFlow.js worker crashed: ${event.message || 'it did not start'}`));
    };
    worker.postMessage({ quick });
  });
}

/** One line on descent against TensorFlow.js's WebAssembly backend (its fastest here), or its CPU one where that cannot train. */
function peersHeadline(rows) {
  const find = (name, impl) => rows.find((r) => r.case === name && r.impl === impl && !r.error);
  const parts = [...new Set(rows.map((r) => r.case))].map((name) => {
    const [ours, wasm, cpu] = ['descent', 'tfjs-wasm', 'tfjs-cpu'].map((impl) => find(name, impl));
    const what = name.startsWith('MLP') ? 'the MLP' : 'the small CNN';
    if (!ours) return null;
    if (wasm) return `${what} ${ratio(ours.samplesPerSecond / wasm.samplesPerSecond)} as fast as TensorFlow.js's WebAssembly backend`;
    if (cpu) return `${what}, which that backend cannot train, ${ratio(ours.samplesPerSecond / cpu.samplesPerSecond)} as fast as TensorFlow.js's CPU backend`;
    return null;
  }).filter(Boolean);
  $('peers-headline').textContent = `Beside TensorFlow.js, descent trains ${parts.join(', and ')}.`;
  $('peers-headline').hidden = false;
}

$('run').addEventListener('click', () => {
  $('run').disabled = true;
  meter.resetLongest();
  const rows = [];
  const body = $('results').tBodies[0];
  body.replaceChildren();
  const caseRows = new Map();
  $('table-build').textContent = BUILD_LABELS[$('build-choice').value];
  $('status').textContent = `running the ${BUILD_LABELS[$('build-choice').value]} build in a worker…`;
  const started = performance.now();
  const worker = new Worker(new URL('./bench.worker.js', import.meta.url), { type: 'module' });
  const finish = (text, error = false) => {
    worker.terminate();
    $('status').textContent = text;
    $('status').classList.toggle('error', error);
    $('run').disabled = false;
    document.body.dataset.benchDone = error ? 'error' : 'true';
  };
  const browser = navigator.userAgent.match(/Chrom\w+\/[\d.]+|Firefox\/[\d.]+|Version\/[\d.]+ Safari/)?.[0] ?? 'this browser';
  async function afterSuite(seconds) {
    const build = BUILD_LABELS[$('build-choice').value];
    worker.terminate(); // the suite's worker is done: no third party to share the cores with
    try {
      if ($('peers-choice').checked) {
        $('status').textContent = `${build} build: done in ${seconds.toFixed(1)} s; now TensorFlow.js beside descent, in a worker…`;
        peersHeadline(await comparePeers($('quick').value === 'true'));
      }
      $('status').textContent = 'counting the threads this page really gets…';
      const { reported, effective } = await measureThreads();
      finish(`${build} build: done in ${((performance.now() - started) / 1000).toFixed(1)} s (${browser}; ` +
        `the browser reports ${reported} threads, ${effective.toFixed(1)} ran at once just now)`);
    } catch (error) {
      finish(`benchmark failed: ${error.message}`, true);
    }
  }
  worker.onmessage = ({ data }) => {
    if (data.row) {
      const r = data.row;
      rows.push(r);
      // one row per case: plain JavaScript's time, then descent's beside it with the ratio
      if (!caseRows.has(r.case)) {
        const row = body.insertRow();
        row.insertCell().textContent = plainName(r.case);
        row.append(document.createElement('td'), document.createElement('td'), document.createElement('td'));
        caseRows.set(r.case, row);
      }
      const cells = caseRows.get(r.case).cells;
      const plain = r.impl === 'plain JS';
      const cell = cells[plain ? 1 : 2];
      cell.title = `fastest ${ms(r.minMs)}, slowest ${ms(r.maxMs)}`;
      cell.innerHTML = `${ms(r.medianMs)}${r.gflops ? `<small><br>${r.gflops.toFixed(1)} GFLOP/s</small>` : ''}` +
        (r.busy ? ' <abbr title="the repetitions varied a lot: other work shared the machine">noisy</abbr>' : '');
      if (!plain) cells[3].textContent = ratio(r.ratio);
      drawBars(rows);
      $('table-panel').hidden = false; // an empty table would only show its headings
    } else if (data.done) {
      headline(rows);
      afterSuite((performance.now() - started) / 1000);
    } else if (data.error) {
      finish(`benchmark failed: ${data.error}`, true);
    }
  };
  worker.onerror = (event) => finish(`benchmark worker crashed: ${event.message}`, true);
  worker.postMessage({ build: $('build-choice').value, quick: $('quick').value === 'true' });
});
document.body.dataset.ready = 'true';
