// The smoke suite for runtimes other than Node 20 (Deno, Bun): descent imported by its package name,
// the kernels against a float64 reference, training in this thread, in a worker and in two workers,
// save → load. Prints one JSON line: { runtime, version, checks: [{ name, ok, facts | error }] }.
import { createTrainer, loadKernels, supportedBuilds } from 'descent-wasm';
import { loadIris } from '../../data/datasets.mjs';

const iris = loadIris();
const spec = {
  inputSize: 4, layers: [{ units: 16, activation: 'relu' }, { units: 3 }], loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: 0.02 }, seed: 5, normalize: true,
};

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

async function trainIris(options, epochs = 40) {
  const trainer = await createTrainer(spec, options);
  const history = await trainer.fit(iris.x, iris.y, { epochs, batchSize: 16 });
  expect(history.stopReason === 'completed', `stopReason ${history.stopReason}`);
  const { accuracy } = await trainer.evaluate(iris.x, iris.y);
  expect(accuracy > 0.9, `accuracy ${accuracy}`);
  return { trainer, accuracy };
}

const checks = {
  async kernels() {
    const pred = [0.8, 1.9, 2.8, 3.7, 4.6];
    const target = [1, 2, 3, 4, 5];
    const reference = pred.reduce((s, p, i) => s + (p - target[i]) ** 2, 0) / pred.length;
    const builds = supportedBuilds();
    const chosen = (await loadKernels()).build;
    expect(chosen === builds[0], `loadKernels() chose ${chosen}, the engine runs ${builds.join(', ')}`);
    for (const build of builds) {
      const k = await loadKernels({ build });
      expect(k.build === build, `loadKernels({ build: '${build}' }) gave ${k.build}`);
      const { value, grad } = k.loss('mse', new Float32Array(pred), new Float32Array(target));
      expect(Math.abs(value - reference) <= 1e-6 * reference, `${build}: mse ${value} ≠ ${reference}`);
      pred.forEach((p, i) => expect(Math.abs(grad[i] - (2 * (p - target[i])) / pred.length) <= 1e-6, `${build}: mse grad[${i}]`));
    }
    return { build: chosen, builds };
  },
  async 'in-thread training'() {
    const { trainer, accuracy } = await trainIris({ worker: false });
    const facts = { build: trainer.info.build, accuracy };
    await trainer.dispose();
    return facts;
  },
  async 'worker training, save and load'() {
    const { trainer, accuracy } = await trainIris({});
    const predictions = Array.from(await trainer.predict(iris.x));
    const bytes = await trainer.save();
    const restored = await createTrainer(bytes);
    expect(same(Array.from(await restored.predict(iris.x)), predictions), 'createTrainer(bytes) predicts differently');
    await trainer.fit(iris.x, iris.y, { epochs: 1, batchSize: 16 });
    await restored.fit(iris.x, iris.y, { epochs: 1, batchSize: 16 });
    const [a, b] = [await trainer.getWeights(), await restored.getWeights()];
    expect(Object.keys(a).every((name) => same(Array.from(a[name]), Array.from(b[name]))), 'save → load → fit differs from fit');
    const facts = { build: trainer.info.build, worker: trainer.info.worker, accuracy };
    await Promise.all([trainer.dispose(), restored.dispose()]);
    return facts;
  },
  async 'two workers'() {
    const { trainer, accuracy } = await trainIris({ workers: 2 });
    expect(trainer.info.workers === 2, `workers ${trainer.info.workers}: ${trainer.info.parallel}`);
    const facts = { workers: trainer.info.workers, accuracy };
    await trainer.dispose();
    return facts;
  },
};

const runtime = typeof Bun !== 'undefined' ? 'bun' : typeof Deno !== 'undefined' ? 'deno' : 'node';
const version = runtime === 'bun' ? Bun.version : runtime === 'deno' ? Deno.version.deno : process.versions.node;
const results = [];
for (const [name, check] of Object.entries(checks)) {
  try {
    results.push({ name, ok: true, facts: await check() });
  } catch (error) {
    results.push({ name, ok: false, error: error?.stack ?? String(error) });
  }
}
console.log(JSON.stringify({ runtime, version, checks: results }));
