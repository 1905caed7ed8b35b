// Issue 29's tiny GPT: vocab 65, d 128, 4 heads, 2 pre-LN blocks (x + attention(layernorm x), causal;
// x + MLP(layernorm x), 4·d GELU), a final layernorm and a 65-way head, T 64, batch 32, Adam,
// softmax cross-entropy on every position's next token (0.42 M parameters). Training tokens/s of
// descent in this thread and in a worker (the same process) against PyTorch on one thread
// (torch.set_num_threads(1)) with the same model in torch's modules (nn.Embedding, a [T, d]
// parameter, nn.LayerNorm, nn.MultiheadAttention batch_first with attn_mask = triu(ones(T, T), 1),
// nn.Linear, nn.GELU) and the same data sizes. PyTorch runs in a python3 child, spawned between
// descent's rounds so that both see the same machine; the table says so when `import torch` fails.
// Best of N one-epoch rounds after a warm-up epoch, by wall time and by the process's CPU time
// (a worker's thread counts: it is this process).
//
//   node --experimental-wasm-relaxed-simd bench/tiny-gpt.mjs [--rounds N] [--rows N]   (Node 20 needs the flag for the
//   relaxed build; writes bench/results/<date>-tiny-gpt.md)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createTrainer, loadKernels } from 'descent-wasm';
import { best, intOption as option, pythonRounds, timedRounds } from './peer-rounds.mjs';

const rounds = option('rounds', 3);
const rows = option('rows', 256);
const [VOCAB, D, HEADS, BLOCKS, T, BATCH, LR] = [65, 128, 4, 2, 64, 32, 3e-4];

/** A pre-LN block reading entry `input`: its entries, the last one named `${p}out`. */
const block = (p, input) => [
  { type: 'layernorm', inputs: [input] },
  { type: 'attention', heads: HEADS, causal: true, name: `${p}a` },
  { type: 'add', inputs: [input, `${p}a`], name: `${p}r` },
  { type: 'layernorm' },
  { units: 4 * D, activation: 'gelu' },
  { units: D, name: `${p}m` },
  { type: 'add', inputs: [`${p}r`, `${p}m`], name: `${p}out` },
];
const SPEC = {
  inputShape: [T],
  layers: [
    { type: 'embedding', vocabSize: VOCAB, units: D },
    { type: 'positionEmbedding', name: 'b0in' },
    ...Array.from({ length: BLOCKS }, (_, b) => block(`b${b}`, b === 0 ? 'b0in' : `b${b - 1}out`)).flat(),
    { type: 'layernorm' },
    { units: VOCAB },
  ],
  loss: 'softmax_cross_entropy',
  optimizer: { name: 'adam', learningRate: LR },
  seed: 1,
};

// A character stream with structure (a few repeating words, a counter) and its next-token targets.
const stream = Int32Array.from({ length: rows * T + 1 }, (_, i) => ((i % 7) * 9 + Math.floor(i / 7) % 11 + (i * i) % 5) % VOCAB);
const x = Int32Array.from({ length: rows * T }, (_, i) => stream[i]);
const y = Int32Array.from({ length: rows * T }, (_, i) => stream[i + 1]);
const epoch = { epochs: 1, batchSize: BATCH, shuffle: false };
const tokens = rows * T;

/** descent's tokens/s per round (one epoch each), by wall time and by this process's CPU time; the losses seen; the parameter count. */
async function descentRounds(worker, count) {
  const trainer = await createTrainer(SPEC, { worker });
  const parameters = Object.values(await trainer.getWeights()).reduce((n, v) => n + v.length, 0);
  const losses = [(await trainer.fit(x, y, epoch)).epochs[0].loss];
  const result = await timedRounds(count, tokens, async () => {
    losses.push((await trainer.fit(x, y, epoch)).epochs[0].loss);
  });
  Object.assign(result, { parameters, losses });
  await trainer.dispose();
  return result;
}

const PYTHON = `
import json, sys, time
import torch, torch.nn as nn
torch.set_num_threads(1)
rows, rounds, V, D, H, L, T, B = map(int, sys.argv[1:9])
lr = float(sys.argv[9])
torch.manual_seed(1)
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, H, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(), nn.Linear(4 * D, D))
    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln2(x))
class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(V, D)
        self.pos = nn.Parameter(torch.randn(T, D) * 0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, V)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))
    def forward(self, ids):
        x = self.tok(ids) + self.pos
        for b in self.blocks:
            x = b(x, self.mask)
        return self.head(self.ln(x))
net = GPT()
parameters = sum(p.numel() for p in net.parameters())
opt = torch.optim.Adam(net.parameters(), lr=lr)
i = torch.arange(rows * T + 1)
stream = ((i % 7) * 9 + (i // 7) % 11 + (i * i) % 5) % V
x, y = stream[:-1].reshape(rows, T), stream[1:].reshape(rows, T)
def epoch():
    total = 0.0
    for s in range(0, rows, B):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x[s:s + B]).reshape(-1, V), y[s:s + B].reshape(-1))
        loss.backward()
        opt.step()
        total += float(loss.detach()) * len(x[s:s + B])
    return total / rows
losses = [epoch()]
wall, cpu = [], []
for _ in range(rounds):
    t, c = time.perf_counter(), time.process_time()
    losses.append(epoch())
    wall.append(rows * T / (time.perf_counter() - t))
    cpu.append(rows * T / (time.process_time() - c))
print(json.dumps({"torch": torch.__version__, "wall": wall, "cpu": cpu, "losses": losses, "parameters": parameters}))
`;

/** PyTorch's tokens/s per round, or why it did not run. */
function torchRounds(count) {
  return pythonRounds(PYTHON, [rows, count, VOCAB, D, HEADS, BLOCKS, T, BATCH, LR]);
}

/**
 * KB per row one attention layer keeps between forward and backward, as src/model/layers/attention.ts
 * declares its buffers: the projection and its gradient 3·T·D each, the probabilities and their
 * gradient HEADS·T² each, the heads' output T·D.
 */
const attentionKB = (4 * (7 * T * D + 2 * HEADS * T * T)) / 1000;

const loads = [os.loadavg()[0]];
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const uptimes = [uptime()];
// in-thread, worker, torch, worker, in-thread: each of descent's paths gets the best of its two
// halves, around torch's run
const inThread1 = await descentRounds(false, rounds);
const worker1 = await descentRounds(true, rounds);
loads.push(os.loadavg()[0]);
const torch = torchRounds(2 * rounds);
loads.push(os.loadavg()[0]);
const worker2 = await descentRounds(true, rounds);
const inThread2 = await descentRounds(false, rounds);
loads.push(os.loadavg()[0]);
uptimes.push(uptime());

const paths = {
  'descent, this thread': [inThread1, inThread2],
  'descent, a worker': [worker1, worker2],
};
const lines = [];
for (const [label, [a, b]] of Object.entries(paths)) {
  const wall = best([...a.wall, ...b.wall]);
  const cpu = best([...a.cpu, ...b.cpu]);
  const vs = torch.error ? ['not run', '–', 'not run', '–'] : [
    best(torch.wall).toFixed(0), (wall / best(torch.wall)).toFixed(2), best(torch.cpu).toFixed(0), (cpu / best(torch.cpu)).toFixed(2)];
  lines.push(`| ${label} | ${wall.toFixed(0)} | ${vs[0]} | ${vs[1]} | ${cpu.toFixed(0)} | ${vs[2]} | ${vs[3]} | ${a.losses.map((v) => v.toFixed(3)).join(' → ')} |`);
}
const torchLine = torch.error
  ? `PyTorch did not run (\`python3 -c "import torch"\`: ${torch.error}); the ratios are missing, not 1.`
  : `PyTorch ${torch.torch}, one thread: best ${best(torch.wall).toFixed(0)} tokens/s wall, ${best(torch.cpu).toFixed(0)} by CPU time; ` +
    `${torch.parameters} parameters; epoch losses ${torch.losses.map((v) => v.toFixed(3)).join(' → ')}.`;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const report = [
  '# Tiny GPT training speed: descent (this thread, a worker) vs PyTorch (one thread)',
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · descent-wasm ${version} ` +
    `(build ${(await loadKernels()).build}) · PyTorch ${torch.error ? 'not run' : torch.torch} (torch.set_num_threads(1))`,
  `· load average (1 min) ${loads.map((v) => v.toFixed(1)).join(' → ')} over the run (\`uptime\` before: ${uptimes[0]}; after: ${uptimes[1]})`,
  `· vocab ${VOCAB}, d ${D}, ${HEADS} heads, ${BLOCKS} pre-LN blocks, T ${T}, batch ${BATCH}, Adam lr ${LR}, softmax CE per position; ` +
    `${inThread1.parameters} parameters in descent · ${rows} rows (${tokens} tokens) per epoch, best of ${2 * rounds} one-epoch rounds per path after a warm-up epoch`,
  '',
  'tokens/s by wall time, and by the process\'s CPU time (what the run got of the cores: steadier on a shared machine)',
  '',
  '| path | descent wall | PyTorch wall | ratio | descent CPU | PyTorch CPU | ratio | descent epoch losses (first half) |',
  '|---|---|---|---|---|---|---|---|',
  ...lines,
  '',
  torchLine,
  '',
  `Kept per row for the backward pass by each attention layer: 7·T·d + 2·heads·T² floats = ${attentionKB.toFixed(1)} KB ` +
    `(${BLOCKS} layers: ${(BLOCKS * attentionKB).toFixed(1)} KB per row, ${((BLOCKS * attentionKB * BATCH) / 1000).toFixed(1)} MB for a batch of ${BATCH}).`,
];
console.log(report.join('\n'));
writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}-tiny-gpt.md`, import.meta.url), `${report.join('\n')}\n`);
