// Timing that runs in any thread: warm-up, then samples of back-to-back calls, median and spread.

export interface MeasureOptions {
  /** Time spent sampling after warm-up, in seconds. */
  seconds?: number;
  /** Warm-up calls (at least; warm-up also lasts a fifth of `seconds`); 0: the caller warmed up, one call a sample. */
  warmup?: number;
  minSamples?: number;
  maxSamples?: number;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Milliseconds per call of each sample (a sample averages `repetitions` back-to-back calls). */
  samplesMs: number[];
  repetitions: number;
  /** The slowest quarter of the samples is far from the median: something else ran. */
  spread: boolean;
}

const now = () => performance.now();

/** Times `run` (synchronous or async): warm-up, then samples for about `seconds`; short calls are repeated within a sample. */
export async function measure(run: () => unknown, options: MeasureOptions = {}): Promise<Timing> {
  const { seconds = 1, warmup = 3, minSamples = 5, maxSamples = 100 } = options;
  const warmupEnd = now() + seconds * 200;
  let single = Infinity;
  for (let i = 0; i < warmup || (warmup > 0 && now() < warmupEnd); i++) {
    const t = now();
    await run();
    single = Math.min(single, now() - t);
  }
  // a sample lasts about seconds / maxSamples, so that microsecond calls are not lost in timer noise
  const repetitions = Math.max(1, Math.min(10_000, Math.round((seconds * 1000) / maxSamples / Math.max(single, 1e-4))));
  const samplesMs: number[] = [];
  const started = now();
  while (samplesMs.length < minSamples || (now() - started < seconds * 1000 && samplesMs.length < maxSamples)) {
    const t = now();
    for (let r = 0; r < repetitions; r++) await run();
    samplesMs.push((now() - t) / repetitions);
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const medianMs = sorted[sorted.length >> 1]!;
  return {
    medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, samplesMs, repetitions,
    spread: sorted[Math.floor(sorted.length * 0.75)]! > 1.5 * medianMs,
  };
}
