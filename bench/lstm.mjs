// LSTM(128) and GRU(128) over [T = 32, C = 16] sequences, batch 64, Adam (issue 29's benchmark
// shapes), a dense head of 10 classes with softmax cross-entropy: training samples/s of descent in
// this thread against PyTorch on one thread (torch.set_num_threads(1)), nn.LSTM / nn.GRU
// batch_first with an nn.Linear head, the same data sizes, in one run. PyTorch runs in a python3
// child (spawned between descent's rounds, so both see the same machine); the table says so when
// `import torch` fails. Best of N rounds of one epoch each, after one warm-up epoch.
//
//   node bench/lstm.mjs [--rounds N] [--rows N]   (writes bench/results/<date>-lstm.md)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createTrainer, loadKernels } from 'descent-wasm';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${args[at + 1]}`);
  return value;
};
const rounds = option('rounds', 3);
const rows = option('rows', 1024);
const [T, C, UNITS, CLASSES, BATCH] = [32, 16, 128, 10, 64];

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
  const result = { wall: [], cpu: [] };
  for (let r = 0; r < count; r++) {
    const [started, cpu] = [performance.now(), process.cpuUsage()];
    await trainer.fit(x, y, epoch);
    const used = process.cpuUsage(cpu);
    result.wall.push(rows / ((performance.now() - started) / 1000));
    result.cpu.push(rows / ((used.user + used.system) / 1e6));
  }
  await trainer.dispose();
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
  try {
    const out = execFileSync('python3', ['-c', PYTHON, type, ...[rows, count, T, C, UNITS, CLASSES, BATCH].map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').at(-1));
  } catch (error) {
    return { error: String(error.stderr ?? error.message).trim().split('\n').at(-1) };
  }
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
const best = (values) => Math.max(...values);
for (const type of ['lstm', 'gru']) {
  // descent, torch, descent again: the best of descent's two halves against torch's best
  const first = await descentRounds(type, rounds);
  const torch = torchRounds(type, 2 * rounds);
  const second = await descentRounds(type, rounds);
  loads.push(os.loadavg()[0]);
  const ours = { wall: best([...first.wall, ...second.wall]), cpu: best([...first.cpu, ...second.cpu]) };
  const label = `${type === 'lstm' ? 'LSTM' : 'GRU'}(${UNITS}) over [T=${T}, C=${C}], batch ${BATCH}, Adam`;
  const kept = keptKB.toFixed(1);
  if (torch.error) {
    lines.push(`| ${label} | ${ours.wall.toFixed(0)} | not run: ${torch.error} | – | ${ours.cpu.toFixed(0)} | – | – | ${kept} |`);
  } else {
    torchVersion = torch.torch;
    const theirs = { wall: best(torch.wall), cpu: best(torch.cpu) };
    lines.push(`| ${label} | ${ours.wall.toFixed(0)} | ${theirs.wall.toFixed(0)} | ${(ours.wall / theirs.wall).toFixed(2)} | ` +
      `${ours.cpu.toFixed(0)} | ${theirs.cpu.toFixed(0)} | ${(ours.cpu / theirs.cpu).toFixed(2)} | ${kept} |`);
  }
  console.log(lines.at(-1));
}
const { version } = JSON.parse((await import('node:fs')).readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const report = [
  '# LSTM and GRU training speed: descent (this thread) vs PyTorch (one thread)',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · descent-wasm ${version} (build ${(await loadKernels()).build}) · PyTorch ${torchVersion} (torch.set_num_threads(1))`,
  `· load average (1 min) ${loads.map((v) => v.toFixed(1)).join(' → ')} over the run · ${rows} rows per epoch, best of ${2 * rounds} one-epoch rounds each after a warm-up epoch`,
  '',
  'samples/s by wall time, and by the process\'s CPU time (what the run got of a core: steadier on a shared machine)',
  '',
  '| model (dense head of 10 classes, softmax CE) | descent wall | PyTorch wall | ratio | descent CPU | PyTorch CPU | ratio | kept per row for BPTT (KB) |',
  '|---|---|---|---|---|---|---|---|',
  ...lines,
];
console.log(report.join('\n'));
writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}-lstm.md`, import.meta.url), `${report.join('\n')}\n`);
