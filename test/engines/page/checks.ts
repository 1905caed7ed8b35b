// The engine suite: the public API as an app uses it, checked in whatever browser loads the page.
// Each check throws on failure and returns facts (build, workers, storage…) for the compatibility
// table; the Node side (test/engines/browsers.test.ts) turns every check into one vitest test.
import {
  createTrainer, deleteBrowserCheckpoint, listBrowserCheckpoints, loadCheckpointFromBrowser, loadKernels,
  saveCheckpointToBrowser, sharedMemoryAvailable, supportedBuilds, type BrowserStorage, type TrainerSpec,
} from 'descent-wasm';
// @ts-expect-error: plain JavaScript data helpers without type declarations
import { loadIris } from '../../../data/datasets.web.mjs';
import { frameMonitor } from './frames.js';
import type { CheckName } from './names.js';

export type Facts = Record<string, unknown>;
export interface CheckResult { name: string; ok: boolean; skipped?: string; error?: string; facts: Facts; ms: number }
export interface SuiteReport { environment: Facts; checks: CheckResult[]; pageErrors: string[] }

interface DataSet { x: Float32Array; y: Int32Array; rows: number }
const iris = loadIris() as DataSet;
const spec: TrainerSpec = {
  inputSize: 4,
  layers: [{ units: 16, activation: 'relu' }, { units: 3 }],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 },
  seed: 5,
  normalize: true,
};

/** Thrown by a check that does not apply to this engine; the reason goes to the report. */
class Skip extends Error {}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function sameArrays(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
}

function sameWeights(a: Record<string, Float32Array>, b: Record<string, Float32Array>): boolean {
  const names = Object.keys(a);
  return sameArrays(names.map((n) => n.length), Object.keys(b).map((n) => n.length)) && names.every((n) => b[n] && sameArrays(a[n]!, b[n]!));
}

/** Largest |a − b| relative to the largest |a|, over every tensor. */
function relativeDifference(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let scale = 0;
  let difference = 0;
  for (const [name, values] of Object.entries(a)) {
    values.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(v));
      difference = Math.max(difference, Math.abs(v - b[name]![i]!));
    });
  }
  return difference / scale;
}

/** Softmax cross-entropy (mean over rows) and its gradient in float64: the oracle for the kernels. */
function softmaxCrossEntropyReference(logits: number[], labels: number[], classes: number): { value: number; grad: number[] } {
  const rows = labels.length;
  let value = 0;
  const grad: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = logits.slice(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    value -= row[labels[r]!]! - max - Math.log(sum);
    row.forEach((v, c) => grad.push((Math.exp(v - max) / sum - (c === labels[r] ? 1 : 0)) / rows));
  }
  return { value: value / rows, grad };
}

const checks: Record<CheckName, () => Promise<Facts>> = {
  async kernels() {
    const pred = [0.8, 1.9, 2.8, 3.7, 4.6, -1.25, 7];
    const target = [1, 2, 3, 4, 5, -1, 6.5];
    const logits = [2, 0.5, -1, 0.1, 1.5, 0.3, -3, 4, 0.25];
    const labels = [0, 1, 2];
    const ce = softmaxCrossEntropyReference(logits, labels, 3);
    const builds = supportedBuilds();
    const chosen = (await loadKernels()).build;
    expect(chosen === builds[0], `loadKernels() chose ${chosen}, the engine runs ${builds.join(', ')}`);
    for (const build of builds) {
      const k = await loadKernels({ build });
      expect(k.build === build, `loadKernels({ build: '${build}' }) gave ${k.build}`);
      const mse = k.loss('mse', new Float32Array(pred), new Float32Array(target));
      const mseValue = pred.reduce((s, p, i) => s + (p - target[i]!) ** 2, 0) / pred.length;
      expect(Math.abs((mse.value as number) - mseValue) <= 1e-6 * mseValue, `${build}: mse ${mse.value} ≠ ${mseValue}`);
      pred.forEach((p, i) => expect(Math.abs(mse.grad![i]! - (2 * (p - target[i]!)) / pred.length) <= 1e-6, `${build}: mse grad[${i}]`));
      const got = k.loss('softmax_cross_entropy', new Float32Array(logits), new Int32Array(labels));
      expect(Math.abs((got.value as number) - ce.value) <= 1e-5, `${build}: softmax CE ${got.value} ≠ ${ce.value}`);
      ce.grad.forEach((g, i) => expect(Math.abs(got.grad![i]! - g) <= 1e-6, `${build}: softmax CE grad[${i}] ${got.grad![i]} ≠ ${g}`));
    }
    return { build: chosen, builds };
  },

  async 'worker training'() {
    const trainer = await createTrainer(spec);
    expect(trainer.info.worker === 'web-worker', `info.worker is ${trainer.info.worker}`);
    const logged: number[] = [];
    const history = await trainer.fit(iris.x, iris.y, { epochs: 60, batchSize: 16, onEpochEnd: (log) => { logged.push(log.epoch); } });
    expect(history.stopReason === 'completed', `stopReason ${history.stopReason}`);
    expect(sameArrays(logged, Array.from({ length: 60 }, (_, i) => i + 1)), `onEpochEnd saw epochs ${logged.join(',')}`);
    const { accuracy } = await trainer.evaluate(iris.x, iris.y);
    expect(accuracy! > 0.9, `accuracy ${accuracy}`);
    const facts = { build: trainer.info.build, worker: trainer.info.worker, accuracy };
    await trainer.dispose();
    return facts;
  },

  async 'stop and resume'() {
    // stop() from the page once frames kept coming while the worker trained: a blocked main thread never stops it
    const trainer = await createTrainer(spec);
    const frames = frameMonitor();
    let epochsSeen = 0;
    const first = await trainer.fit(iris.x, iris.y, {
      epochs: 1_000_000,
      batchSize: 4,
      onEpochEnd: () => {
        epochsSeen++;
        if (epochsSeen >= 3 && frames.count() >= 20) trainer.stop();
      },
    });
    const main = frames.stop();
    expect(first.stopReason === 'stopped', `stopReason ${first.stopReason}`);
    const second = await trainer.fit(iris.x, iris.y, { epochs: 1, batchSize: 4 });
    expect(second.epochs[0]!.epoch === first.epochs.length + 1, `resumed at epoch ${second.epochs[0]!.epoch} after ${first.epochs.length}`);
    await trainer.dispose();

    // fit(2) then fit(1) is bit-identical to fit(3)
    const [split, whole] = await Promise.all([createTrainer(spec), createTrainer(spec)]);
    await split.fit(iris.x, iris.y, { epochs: 2 });
    await split.fit(iris.x, iris.y, { epochs: 1 });
    await whole.fit(iris.x, iris.y, { epochs: 3 });
    expect(sameWeights(await split.getWeights(), await whole.getWeights()), 'fit(2) + fit(1) differs from fit(3)');
    await Promise.all([split.dispose(), whole.dispose()]);
    return { epochsBeforeStop: first.epochs.length, ...main };
  },

  async 'predict, save and load'() {
    const trainer = await createTrainer(spec);
    await trainer.fit(iris.x, iris.y, { epochs: 5, batchSize: 16 });
    const predictions = await trainer.predict(iris.x);
    expect(predictions.length === iris.rows * 3, `predict gave ${predictions.length} values`);
    const bytes = await trainer.save();
    const restored = await createTrainer(bytes);
    expect(sameArrays(await restored.predict(iris.x), predictions), 'createTrainer(bytes) predicts differently');
    const inThread = await createTrainer(spec, { worker: false });
    await inThread.load(bytes);
    expect(sameArrays(await inThread.predict(iris.x), predictions), 'load(bytes) in this thread predicts differently');
    // the checkpoint resumes exactly: one more epoch on each gives the same weights
    await trainer.fit(iris.x, iris.y, { epochs: 1, batchSize: 16 });
    await restored.fit(iris.x, iris.y, { epochs: 1, batchSize: 16 });
    expect(sameWeights(await trainer.getWeights(), await restored.getWeights()), 'save → load → fit differs from fit');
    await Promise.all([trainer.dispose(), restored.dispose(), inThread.dispose()]);
    return { checkpointBytes: bytes.length };
  },

  'storage: indexeddb': () => storageRoundTrip('indexeddb'),

  async 'storage: opfs'() {
    if (typeof navigator.storage?.getDirectory !== 'function') throw new Skip('no navigator.storage.getDirectory (OPFS)');
    return storageRoundTrip('opfs');
  },

  async 'data-parallel'() {
    const fit = { epochs: 3, batchSize: 30 };
    const one = await createTrainer(spec);
    await one.fit(iris.x, iris.y, fit);
    const two = await createTrainer(spec, { workers: 2 });
    await two.fit(iris.x, iris.y, fit);
    const shared = sharedMemoryAvailable();
    const facts = { sharedMemory: shared, workers: two.info.workers, note: two.info.parallel };
    if (shared) {
      expect(two.info.workers === 2, `workers: 2 trains with ${two.info.workers} workers although shared memory is available`);
      const difference = relativeDifference(await one.getWeights(), await two.getWeights());
      expect(difference < 1e-4, `two workers' weights differ from one worker's by ${difference} (relative)`);
    } else {
      expect(two.info.workers === 1 && /SharedArrayBuffer/.test(two.info.parallel ?? ''), `no fallback note: ${JSON.stringify(two.info)}`);
      expect(sameWeights(await one.getWeights(), await two.getWeights()), 'the one-worker fallback differs from workers: 1');
    }
    await Promise.all([one.dispose(), two.dispose()]);
    return facts;
  },

  async 'worker crash'() {
    const crashing = await createTrainer(spec, { workerUrl: new URL('./crash-worker.js', location.href) });
    const errors = await Promise.all([crashing.fit(iris.x, iris.y).catch((e: unknown) => e), crashing.fit(iris.x, iris.y).catch((e: unknown) => e)]);
    for (const error of errors) {
      expect(error instanceof Error && /descent worker crashed.*boom in the worker/.test(error.message), `pending fit settled with ${String(error)}`);
    }
    const after = await crashing.predict(iris.x).then(() => 'resolved', (e: unknown) => String(e));
    expect(/crashed/.test(after), `predict after the crash: ${after}`);
    const missing = new URL('./no-such-worker.js', location.href).href;
    const notStarted = await createTrainer(spec, { workerUrl: missing }).then(() => null, (e: unknown) => e as Error);
    expect(notStarted instanceof Error && /descent worker/.test(notStarted.message) && notStarted.message.includes(missing),
      `a missing worker script: ${String(notStarted)}`);
    return { crash: (errors[0] as Error).message, missingScript: notStarted!.message };
  },
};

async function storageRoundTrip(storage: BrowserStorage): Promise<Facts> {
  const trainer = await createTrainer(spec, { worker: false });
  await trainer.fit(iris.x, iris.y, { epochs: 2 });
  const bytes = await trainer.save();
  const predictions = await trainer.predict(iris.x);
  await trainer.dispose();
  const name = `engine suite ${storage}`;
  await saveCheckpointToBrowser(name, bytes, { storage });
  const listed = (await listBrowserCheckpoints({ storage })).find((c) => c.name === name);
  expect(listed?.bytes === bytes.length, `listed: ${JSON.stringify(listed)}`);
  const loaded = await loadCheckpointFromBrowser(name, { storage });
  expect(loaded !== undefined && sameArrays(loaded, bytes), 'the stored bytes differ');
  const restored = await createTrainer(loaded!, { worker: false });
  expect(sameArrays(await restored.predict(iris.x), predictions), 'the stored checkpoint predicts differently');
  await restored.dispose();
  expect(await deleteBrowserCheckpoint(name, { storage }), 'delete returned false');
  expect((await loadCheckpointFromBrowser(name, { storage })) === undefined, 'a deleted checkpoint still loads');
  return { storage };
}

/** What the page offers, before any check runs. */
function environment(): Facts {
  return {
    userAgent: navigator.userAgent,
    language: navigator.language,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    sharedMemory: sharedMemoryAvailable(),
    longTaskObserver: PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false,
    opfs: typeof navigator.storage?.getDirectory === 'function',
  };
}

/** A guard against a hang (never a speed limit): a check still running after this long fails, and the next one runs. */
const CHECK_GIVES_UP_MS = 90_000;

function finishes<T>(running: Promise<T>, name: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} had not finished after ${CHECK_GIVES_UP_MS / 1000} s (a hang)`)), CHECK_GIVES_UP_MS);
  });
  return Promise.race([running, hang]).finally(() => clearTimeout(timer));
}

/** Runs the checks named in `only` (all when undefined), one after another, telling `onStart` each name. */
export async function runChecks(only?: string[], onStart: (name: string) => void = () => {}): Promise<Omit<SuiteReport, 'pageErrors'>> {
  const results: CheckResult[] = [];
  for (const [name, check] of Object.entries(checks)) {
    if (only && !only.includes(name)) continue;
    onStart(name);
    const started = performance.now();
    try {
      results.push({ name, ok: true, facts: await finishes(check(), name), ms: performance.now() - started });
    } catch (error) {
      const ms = performance.now() - started;
      if (error instanceof Skip) results.push({ name, ok: true, skipped: error.message, facts: {}, ms });
      else results.push({ name, ok: false, error: (error as Error)?.stack ?? String(error), facts: {}, ms });
    }
  }
  return { environment: environment(), checks: results };
}
