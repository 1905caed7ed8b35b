// Timing for the benchmarks: warm-up, then repeated samples for about `seconds`, reported as median
// with min–max; a case is flagged busy when its samples spread widely or the machine was loaded.
import os from 'node:os';

/** Times `run` (synchronous or async): warm-up calls, then samples until `seconds` have passed. */
export async function measure(run, { seconds = 1, warmup = 5, minSamples = 7, maxSamples = 1000 } = {}) {
  for (let i = 0; i < warmup; i++) await run();
  const samples = [];
  const started = performance.now();
  while (samples.length < minSamples || (performance.now() - started < seconds * 1000 && samples.length < maxSamples)) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  const load = os.loadavg()[0] / os.cpus().length;
  // busy: the slowest quartile is far from the median, or other work shares the cores
  const busy = sorted[Math.floor(sorted.length * 0.75)] > 1.5 * median || load > 0.75;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples: samples.length, busy };
}

/** Machine, runtime and date, for every report's header and JSON. */
export function environment(extra = {}) {
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadavg: os.loadavg(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()}`,
    ...extra,
  };
}

export function formatMs(ms) {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`;
}
