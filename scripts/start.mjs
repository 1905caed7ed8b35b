// `npm start`: serves the demo (Vite dev server with COOP/COEP headers) and opens it in a browser.
// Without a display (a server, a container, CI) it says so, prints the URL, and first trains a small
// network on the bundled 8×8 digits right here in the terminal, so the main job still runs.
import { createServer } from 'vite';

const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (headless) await trainInTerminal();

const server = await createServer({
  configFile: new URL('../demo/vite.config.mjs', import.meta.url).pathname,
  server: { port: Number(process.env.PORT ?? 5173), open: !headless },
});
await server.listen();
// the pages as the demo's navigation names them, each a file under the URLs printed below
console.log(['\ndescent demo:',
  '  Train          index.html     digits, iris, MNIST or a 2-D playground in a Web Worker; draw your own digit',
  '  Write with me  write.html     an LSTM or a transformer learns to write from Moby-Dick, a sample every epoch',
  '  Loss explorer  explorer.html  how each loss punishes a mistake, and its gradient',
  '  Benchmarks     bench.html     descent beside plain JavaScript and TensorFlow.js, in your browser'].join('\n'));
server.printUrls();
if (headless) console.log('\nNo display found: open the URL above in a browser (forward the port if this is a remote machine). Ctrl+C stops the server.');

async function trainInTerminal() {
  const { loadDigits, trainTestSplit } = await import('../data/datasets.mjs');
  const { createTrainer, loadKernels } = await import('../dist/index.js');
  const k = await loadKernels();
  const mse = k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5], { grad: false }).value;
  const ce = k.loss('cross_entropy', [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]], [[1, 0], [1, 1], [0, 1]], { grad: false }).value;
  console.log(`descent — ${k.build} WebAssembly build`);
  console.log(`worked examples: mse = ${mse.toFixed(3)} (0.068), cross_entropy = ${ce.toFixed(5)} (0.61086)\n`);
  const { train, test } = trainTestSplit(loadDigits(), 0.2, 7);
  const trainer = await createTrainer({
    inputSize: 64,
    layers: [{ units: 64, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { units: 10 }],
    loss: 'softmax_cross_entropy',
    optimizer: { name: 'adam', learningRate: { name: 'cosine', initial: 3e-3, tMax: 'auto', etaMin: 1e-4 } },
    seed: 1,
    normalize: true,
  });
  console.log(`8×8 digits in a worker thread: ${train.rows} training and ${test.rows} held-out images\n${await trainer.summary()}\n`);
  const started = performance.now();
  const history = await trainer.fit(train.x, train.y, {
    epochs: 20,
    batchSize: 32,
    validationSplit: 0.1,
    onEpochEnd: (log) => console.log(`epoch ${String(log.epoch).padStart(2)}  loss ${log.loss.toFixed(4)}  accuracy ${(100 * log.accuracy).toFixed(1)} %` +
      `  val loss ${log.valLoss.toFixed(4)}  val accuracy ${(100 * log.valAccuracy).toFixed(1)} %  lr ${log.lr.toExponential(2)}`),
  });
  const seconds = (performance.now() - started) / 1000;
  const { loss, accuracy } = await trainer.evaluate(test.x, test.y);
  console.log(`\n${history.stopReason} in ${seconds.toFixed(2)} s (${Math.round((history.epochs.length * train.rows * 0.9) / seconds)} samples/s)`);
  console.log(`held-out: loss ${loss.toFixed(4)}, accuracy ${(100 * accuracy).toFixed(1)} %`);
  await trainer.dispose();
}
