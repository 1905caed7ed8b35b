// A fixed amount of arithmetic, timed: bench.js runs it in several workers at once to count the
// threads the browser really gets (navigator.hardwareConcurrency is what it chooses to report).
self.onmessage = ({ data: { iterations } }) => {
  const started = performance.now();
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 1.000001 + i) % 1e9;
  self.postMessage({ ms: performance.now() - started, x });
};
