// How many threads this page can really run at once: the same fixed work in one worker, then in
// `reported` workers together (navigator.hardwareConcurrency; Safari reports a fixed 4 or 8, and a
// container may grant fewer cores than the host has). Effective threads = reported × t₁ / t_all.

const spin = () => new Worker(new URL('./spin.worker.js', import.meta.url), { type: 'module' });
const run = (worker, iterations) => new Promise((resolve, reject) => {
  worker.onmessage = ({ data }) => resolve(data.ms);
  worker.onerror = (event) => reject(new Error(`the timing worker failed: ${event.message || 'it did not start'}`));
  worker.postMessage({ iterations });
});

/** { reported, effective }: the browser's thread count and the measured one (about 1 s of work). */
export async function measureThreads() {
  const reported = navigator.hardwareConcurrency || 1;
  const workers = Array.from({ length: reported }, spin);
  try {
    let iterations = 1e6;
    let one = await run(workers[0], iterations);
    while (one < 120) { // long enough that a time slice of another program does not decide it
      iterations *= 2;
      one = await run(workers[0], iterations);
    }
    const started = performance.now();
    await Promise.all(workers.map((worker) => run(worker, iterations)));
    const all = performance.now() - started;
    return { reported, effective: Math.min(reported, (reported * one) / all) };
  } finally {
    for (const worker of workers) worker.terminate();
  }
}
