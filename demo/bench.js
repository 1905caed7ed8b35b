// The benchmark page: starts the suite in a Web Worker and fills the table row by row.
const $ = (id) => document.getElementById(id);
const ms = (v) => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);

$('run').addEventListener('click', () => {
  $('run').disabled = true;
  const body = $('results').tBodies[0];
  body.replaceChildren();
  $('status').textContent = 'running in a worker…';
  const started = performance.now();
  const worker = new Worker(new URL('./bench.worker.js', import.meta.url), { type: 'module' });
  const finish = (text, error = false) => {
    worker.terminate();
    $('status').textContent = text;
    $('status').classList.toggle('error', error);
    $('run').disabled = false;
    document.body.dataset.benchDone = error ? 'error' : 'true';
  };
  worker.onmessage = ({ data }) => {
    if (data.row) {
      const r = data.row;
      const tr = body.insertRow();
      const extra = r.gflops ? ` (${r.gflops.toFixed(1)} GFLOP/s)` : '';
      tr.innerHTML = `<td>${r.case}</td><td>${r.impl}${r.busy ? ' ⚠ busy' : ''}</td><td>${ms(r.medianMs)}${extra}</td>` +
        `<td>${ms(r.minMs)} – ${ms(r.maxMs)}</td><td>${r.impl === 'plain JS' ? '1×' : `${r.ratio.toFixed(1)}×`}</td>`;
    } else if (data.done) {
      finish(`done in ${((performance.now() - started) / 1000).toFixed(1)} s (${navigator.userAgent.match(/Chrom\w+\/[\d.]+|Firefox\/[\d.]+|Version\/[\d.]+ Safari/)?.[0] ?? 'this browser'}, ${navigator.hardwareConcurrency} threads)`);
    } else if (data.error) {
      finish(`benchmark failed: ${data.error}`, true);
    }
  };
  worker.onerror = (event) => finish(`benchmark worker crashed: ${event.message}`, true);
  worker.postMessage({ simd: $('simd').value === 'true', quick: $('quick').value === 'true' });
});
document.body.dataset.ready = 'true';
