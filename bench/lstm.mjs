// LSTM(128) and GRU(128) over [T = 32, C = 16] sequences, batch 64, Adam (issue 29's benchmark
// shapes), a dense head of 10 classes with softmax cross-entropy: training samples/s of descent in
// this thread against PyTorch on one thread (torch.set_num_threads(1)), nn.LSTM / nn.GRU
// batch_first with an nn.Linear head, and against TensorFlow.js (tfjs-layers' model.fit on the WASM
// and CPU backends), the same data, in one run. PyTorch runs in a python3 child (spawned between
// descent's rounds, so both see the same machine); the table says so when `import torch` fails.
// Best of N rounds of one epoch each, after one warm-up epoch; tfjs times fewer rows (it is 20-150×
// slower), always whole batches of 64 from the start of the same data.
//
//   node --experimental-wasm-relaxed-simd bench/lstm.mjs [--rounds N] [--rows N] [--tfjs-rows N] [--tfjs-cpu-rows N]
//   (Node 20 needs the flag for descent's relaxed build; without it descent runs simd, as the header says)
//
// Writes bench/results/<date>-lstm.md: the generated part above a marker line, and whatever an
// existing file holds below its marker (hand-written notes, earlier runs) kept as it was.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createTrainer, loadKernels } from 'descent-wasm';
import { best, intOption as option, pythonRounds, timedRounds } from './peer-rounds.mjs';
import { checkNoLeak, tf, tfl, useBackend } from './tfjs.mjs';

const rounds = option('rounds', 3);
const rows = option('rows', 1024);
const [T, C, UNITS, CLASSES, BATCH] = [32, 16, 128, 10, 64];
// tfjs-wasm trains ≈ 120-170 samples/s here and tfjs-cpu ≈ 20-30: 4 batches and 1 batch per round
// keep the whole run near two minutes
const tfjsRows = { 'tfjs-wasm': option('tfjs-rows', 256), 'tfjs-cpu': option('tfjs-cpu-rows', 64) };
const tfjsRoundCount = { 'tfjs-wasm': rounds, 'tfjs-cpu': 2 };
for (const [name, count] of Object.entries(tfjsRows)) {
  if (count % BATCH !== 0 || count > rows) {
    throw new Error(`${name} rows must be a multiple of the batch ${BATCH} and at most --rows ${rows} (whole batches of the same data), got ${count}`);
  }
}

const x = Float32Array.from({ length: rows * T * C }, (_, i) => Math.sin(0.37 * i) * Math.cos(0.011 * i));
const y = Int32Array.from({ length: rows }, (_, i) => (i * 7) % CLASSES);
const epoch = { epochs: 1, batchSize: BATCH, shuffle: false };

/** descent's samples/s per round (one epoch of `rows` rows each), by wall time and by this process's CPU time. */
async function descentRounds(type, count) {
  const trainer = await createTrainer({
    inputShape: [T, C], layers: [{ type, units: UNITS }, { units: CLASSES }], loss: 'softmax_cross_entropy',
    optimizer: { name: 'adam', learningRate: 1e-3 }, seed: 1,
  }, { worker: false });
  await trainer.fit(x, y, epoch);
  const result = await timedRounds(count, rows, () => trainer.fit(x, y, epoch));
  await trainer.dispose();
  return result;
}

/**
 * tfjs's samples/s per round on `backend`: the same network in tfjs-layers (recurrentActivation
 * 'sigmoid' as torch; glorotUniform kernels because tfjs-layers 4.22's orthogonal initialiser throws
 * `rMat.flatten is not a function` on both backends), model.fit on the first `count` rows.
 */
async function tfjsRounds(type, backend, count, roundCount) {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const recurrent = type === 'lstm' ? tfl.layers.lstm : tfl.layers.gru;
  const model = tfl.sequential({
    layers: [
      recurrent({ inputShape: [T, C], units: UNITS, recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform' }),
      tfl.layers.dense({ units: CLASSES }),
    ],
  });
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer, loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits) });
  const xs = tf.tensor3d(x.subarray(0, count * T * C), [count, T, C]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y.subarray(0, count), 'int32'), CLASSES));
  const fitOptions = { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 };
  let result;
  try {
    await model.fit(xs, ys, fitOptions); // warm-up
    result = await timedRounds(roundCount, count, () => model.fit(xs, ys, fitOptions));
  } finally {
    xs.dispose();
    ys.dispose();
    model.dispose();
    optimizer.dispose(); // compile() with an optimizer object leaves it to the caller
  }
  checkNoLeak(before, `tfjs ${type} on ${backend}`);
  return result;
}

const PYTHON = `
import json, sys, time
import torch, torch.nn as nn
torch.set_num_threads(1)
kind, rows, rounds, T, C, U, K, B = sys.argv[1], *map(int, sys.argv[2:])
torch.manual_seed(1)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(C, U, batch_first=True)
        self.head = nn.Linear(U, K)
    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
i = torch.arange(rows * T * C, dtype=torch.float64)
x = (torch.sin(0.37 * i) * torch.cos(0.011 * i)).float().reshape(rows, T, C)
y = (torch.arange(rows) * 7) % K
def epoch():
    for s in range(0, rows, B):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[s:s + B]), y[s:s + B]).backward()
        opt.step()
epoch()
wall, cpu = [], []
for _ in range(rounds):
    t, c = time.perf_counter(), time.process_time()
    epoch()
    wall.append(rows / (time.perf_counter() - t))
    cpu.append(rows / (time.process_time() - c))
print(json.dumps({"torch": torch.__version__, "wall": wall, "cpu": cpu}))
`;

/** PyTorch's samples/s per round, or why it did not run. */
function torchRounds(type, count) {
  return pythonRounds(PYTHON, [type, rows, count, T, C, UNITS, CLASSES, BATCH]);
}

/**
 * KB per row the layer keeps between forward and backward, as src/model/layers/recurrent.ts declares
 * its buffers (without returnSequences): LSTM gates 4·T·U, c and tanh c T·U each, h (T − 1)·U, dc and
 * dh U each; GRU gi and gh 3·T·U each, h (T − 1)·U, two dh blocks U each: the same sum for both.
 */
const keptKB = (4 * (6 * T * UNITS + (T - 1) * UNITS + 2 * UNITS)) / 1000;

const lines = [];
let torchVersion = 'not run';
const loads = [os.loadavg()[0]];
const rate = (value) => value.toFixed(0);
for (const type of ['lstm', 'gru']) {
  // descent, torch, tfjs, descent again: the best of descent's two halves against each peer's best
  const first = await descentRounds(type, rounds);
  const torch = torchRounds(type, 2 * rounds);
  const peers = {};
  for (const name of ['tfjs-wasm', 'tfjs-cpu']) {
    try {
      peers[name] = await tfjsRounds(type, name.slice(5), tfjsRows[name], tfjsRoundCount[name]);
    } catch (error) {
      peers[name] = { error: String(error.message).split('\n')[0] };
    }
  }
  const second = await descentRounds(type, rounds);
  loads.push(os.loadavg()[0]);
  const ours = { wall: best([...first.wall, ...second.wall]), cpu: best([...first.cpu, ...second.cpu]) };
  const label = `${type === 'lstm' ? 'LSTM' : 'GRU'}(${UNITS})`;
  lines.push(`| ${label} | descent (this thread) | ${rows} × ${2 * rounds} | ${rate(ours.wall)} | ${rate(ours.cpu)} | – | – |`);
  if (torch.error) lines.push(`| ${label} | PyTorch (one thread) | not run: ${torch.error} | – | – | – | – |`);
  else torchVersion = torch.torch;
  const rowsOf = { PyTorch: rows, 'tfjs-wasm': tfjsRows['tfjs-wasm'], 'tfjs-cpu': tfjsRows['tfjs-cpu'] };
  const countOf = { PyTorch: 2 * rounds, ...tfjsRoundCount };
  for (const [name, result] of [['PyTorch', torch], ...Object.entries(peers)]) {
    if (result.error) {
      if (name !== 'PyTorch') lines.push(`| ${label} | ${name} | cannot train: ${result.error} | – | – | – | – |`);
      continue;
    }
    const theirs = { wall: best(result.wall), cpu: best(result.cpu) };
    const who = name === 'PyTorch' ? 'PyTorch (one thread)' : `${name} (layers model.fit)`;
    lines.push(`| ${label} | ${who} | ${rowsOf[name]} × ${countOf[name]} | ${rate(theirs.wall)} | ${rate(theirs.cpu)} | ` +
      `${(ours.wall / theirs.wall).toFixed(2)} | ${(ours.cpu / theirs.cpu).toFixed(2)} |`);
  }
  console.log(lines.slice(-4).join('\n'));
}
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const report = [
  '# LSTM and GRU training speed: descent (this thread) vs PyTorch (one thread) and TensorFlow.js',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · descent-wasm ${version} (build ${(await loadKernels()).build}) · PyTorch ${torchVersion} (torch.set_num_threads(1)) · tfjs ${tf.version_core} (tfjs-layers ${tfl.version_layers})`,
  `· load average (1 min) ${loads.map((v) => v.toFixed(1)).join(' → ')} over the run · each model [T=${T}, C=${C}], ${UNITS} units, batch ${BATCH}, Adam 1e-3, a dense head of ${CLASSES} classes with softmax cross-entropy`,
  '',
  'samples/s by wall time, and by the process\'s CPU time (what the run got of a core: steadier on a shared machine);',
  '"rows × rounds": rows per one-epoch round and rounds timed (best kept), after a warm-up epoch; every batch is a whole 64',
  '',
  '| model | implementation | rows × rounds | samples/s wall | samples/s CPU | descent / this (wall) | descent / this (CPU) |',
  '|---|---|---|---|---|---|---|',
  ...lines,
  '',
  "tfjs: tf.layers.lstm / tf.layers.gru with recurrentActivation 'sigmoid' (torch's; tfjs' default is hardSigmoid) and",
  'kernelInitializer / recurrentInitializer \'glorotUniform\' (tfjs-layers\' default orthogonal recurrent initialiser throws',
  '`rMat.flatten is not a function` on both backends), then tf.layers.dense; model.fit with shuffle off. tfjs-layers\' GRU is',
  'reset_after = false (r ⊙ h before the candidate\'s recurrent product; it rejects resetAfter true), PyTorch\'s and',
  'descent\'s GRU apply r after it (r ⊙ (W_hn·h + b_hn)): the same multiply-adds per step, so a fair speed comparison,',
  `not the same function. tfjs-cpu is timed on ${tfjsRows['tfjs-cpu'] / BATCH} batch(es) per round and tfjs-wasm (its SIMD binary, one thread) on`,
  `${tfjsRows['tfjs-wasm'] / BATCH}, fewer rows than the others to keep the run near a minute; the batches are the same ${BATCH} rows.`,
  `Kept per row for backprop through time in descent: ${keptKB.toFixed(1)} KB for both (the notes below).`,
];
const MARKER = '<!-- generated above by bench/lstm.mjs; everything below this line is kept when it reruns -->';
const file = new URL(`./results/${new Date().toISOString().slice(0, 10)}-lstm.md`, import.meta.url);
// an existing file without the marker is kept whole below it: a rerun never loses hand-written notes
const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
const kept = previous.includes(MARKER) ? previous.slice(previous.indexOf(MARKER) + MARKER.length).replace(/^\n+/, '') : previous;
console.log(report.join('\n'));
writeFileSync(file, `${report.join('\n')}\n\n${MARKER}\n${kept ? `\n${kept}` : ''}`);
