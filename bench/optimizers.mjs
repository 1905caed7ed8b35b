// Optimizer kernels of this checkout against another commit's, in one process: each optimizer's
// update over 100 000 parameters (about a 784-128-10 MLP), rounds interleaved old/new per build so
// both see the same machine. Reports the median time per update and the old ÷ new speed-up. Then the
// loss kernels that moved files in the same change (value + gradient over 100 000 elements), whose
// speed should not have changed (bce_with_logits lost its hand-unrolled fast path).
//
//   node --experimental-wasm-relaxed-simd bench/optimizers.mjs <commit> [--rounds N]   (Node 20 needs the flag for the relaxed build)
//
// The other commit is checked out into a temporary folder (git worktree) sharing this checkout's
// node_modules, and only its WASM builds are made there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment } from './harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const [commit, ...rest] = process.argv.slice(2);
if (!commit) throw new Error('usage: node bench/optimizers.mjs <commit> [--rounds N]');
const roundsAt = rest.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(rest[roundsAt + 1]) : 9;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${rest[roundsAt + 1]}`);

const N = 100_000;
const UPDATES = 50;
// Per optimizer: the kernel and its arguments after (p, g, slots…, n); slot count first. Hyper-
// parameters are torch's defaults; slots start at 0.1 so no division meets 0.
const KERNELS = {
  'sgd (momentum 0.9)': ['sgd_f32', 1, [0.01, 0.9, 0, false, 0, false]],
  adam: ['adam_f32', 2, [0.001, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.03, 0, 1], 1],
  rmsprop: ['rmsprop_f32', 0, [], 'rmsprop'],
  'rmsprop (centered, momentum)': ['rmsprop_f32', 0, [], 'rmsprop-full'],
  adadelta: ['adadelta_f32', 2, [1, 0.9, 0.1, 1e-6, 0]],
  adamax: ['adamax_f32', 2, [0.002, 0.9, 0.1, 0.999, 1e-8, 0]],
  nadam: ['nadam_f32', 2, [0.0001, 0.0009, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.03, 0]],
  lion: ['lion_f32', 1, [1e-4, 0.9, 0.1, 0.99, 0.01, 0]],
  'lamb (direction)': ['lamb_direction_f32', 2, [0.9, 0.1, 0.999, 0.001, 1e-6, 10, 30, 0]],
};

// Loss kernels: (k, [x, y, grad, w, t]) => one call over N elements (softmax CE: N / 10 rows × 10 classes).
const LOSSES = {
  mse: (k, [x, y, g]) => k.mse_f32(x, y, N, g, 0, 1 / N),
  poisson: (k, [x, y, g]) => k.poisson_f32(x, y, N, g, 0, 1 / N),
  'bce_with_logits (no weights)': (k, [x, y, g, w]) => k.bce_with_logits_f32(x, y, N, w, 0, w, 0, g, 0, 1 / N),
  'cross_entropy (10 classes)': (k, [x, y, g]) => k.cross_entropy_f32(x, y, N / 10, 10, g, 0, 10 / N),
  'softmax_cross_entropy, index targets (10 classes)': (k, [x, , g, w, t]) => k.softmax_cross_entropy_index_f32(x, t, N / 10, 10, w, 0, 10, -100, 0, g, 0, 10 / N),
};

/** The kernels instance of a .wasm file, with its buffers allocated and filled. */
async function instance(file) {
  const { instance: wasm } = await WebAssembly.instantiate(readFileSync(file), { env: { abort() { throw new Error('abort'); } } });
  const k = wasm.exports;
  const buffers = Array.from({ length: 5 }, () => k.alloc(N * 4) >>> 0);
  for (const [b, ptr] of buffers.entries()) {
    new Float32Array(k.memory.buffer, ptr, N).forEach((_, i, a) => { a[i] = 0.1 + 0.01 * Math.sin(i + b); });
  }
  return { k, buffers };
}

/** The buffers for the loss kernels: x, y, grad, weights of 1 (splatted), class indices. */
function lossBuffers({ k, buffers }) {
  new Float32Array(k.memory.buffer, buffers[3], 4).fill(1);
  new Int32Array(k.memory.buffer, buffers[4], N / 10).forEach((_, i, a) => { a[i] = (i * 7) % 10; });
  return buffers;
}

/** Milliseconds per call of one loss kernel (the mean of UPDATES calls). */
function timeLoss(side, run) {
  const buffers = side.lossBuffers ??= lossBuffers(side);
  const started = performance.now();
  for (let u = 0; u < UPDATES; u++) run(side.k, buffers);
  return (performance.now() - started) / UPDATES;
}

/** Milliseconds per update of one optimizer on one instance (the mean of UPDATES calls). */
function time({ k, buffers }, [kernel, slots, scalars, variant]) {
  const [p, g, s0, s1, s2] = buffers;
  let call;
  if (variant === 'rmsprop') call = () => k.rmsprop_f32(p, g, s0, 0, 0, N, 0.01, 0.99, 0.01, 1e-8, 0, 0);
  else if (variant === 'rmsprop-full') call = () => k.rmsprop_f32(p, g, s0, s1, s2, N, 0.01, 0.99, 0.01, 1e-8, 0.9, 0);
  else if (kernel === 'adam_f32') call = () => k.adam_f32(p, g, s0, s1, 0, N, ...scalars);
  else call = () => k[kernel](p, g, ...[s0, s1].slice(0, slots), N, ...scalars);
  const started = performance.now();
  for (let u = 0; u < UPDATES; u++) call();
  return (performance.now() - started) / UPDATES;
}

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const sha = git('rev-parse', commit);
const folder = mkdtempSync(join(os.tmpdir(), 'descent-optimizers-'));
git('worktree', 'add', '--detach', folder, sha);
try {
  symlinkSync(join(root, 'node_modules'), join(folder, 'node_modules'));
  execFileSync('npm', ['run', 'build:wasm', '--silent'], { cwd: folder, stdio: 'ignore' });
  const env = environment();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const lines = [
    `# Optimizer kernels: this checkout vs ${sha.slice(0, 7)}`,
    '',
    `${new Date().toISOString()} · ${env.cpu} × ${env.cores} · Node ${process.version} · load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} (start) · ` +
      `${N} parameters, ${UPDATES} updates per sample, ${rounds} interleaved rounds; median ms per update`,
    '',
    '| build | optimizer | old ms | new ms | old ÷ new |',
    '|---|---|---|---|---|',
  ];
  for (const build of ['relaxed', 'simd', 'scalar']) {
    const sides = { old: await instance(join(folder, 'build', `${build}.wasm`)), new: await instance(join(root, 'build', `${build}.wasm`)) };
    for (const [name, spec] of Object.entries(KERNELS)) {
      const samples = { old: [], new: [] };
      for (const side of ['old', 'new']) time(sides[side], spec); // warm-up
      for (let r = 0; r < rounds; r++) for (const side of ['old', 'new']) samples[side].push(time(sides[side], spec));
      const [a, b] = [median(samples.old), median(samples.new)];
      lines.push(`| ${build} | ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(2)}× |`);
    }
  }
  lines.push('', '| build | loss kernel | old ms | new ms | old ÷ new |', '|---|---|---|---|---|');
  for (const build of ['relaxed', 'simd', 'scalar']) {
    const sides = { old: await instance(join(folder, 'build', `${build}.wasm`)), new: await instance(join(root, 'build', `${build}.wasm`)) };
    for (const [name, run] of Object.entries(LOSSES)) {
      const samples = { old: [], new: [] };
      for (const side of ['old', 'new']) timeLoss(sides[side], run); // warm-up
      for (let r = 0; r < rounds; r++) for (const side of ['old', 'new']) samples[side].push(timeLoss(sides[side], run));
      const [a, b] = [median(samples.old), median(samples.new)];
      lines.push(`| ${build} | ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(2)}× |`);
    }
  }
  lines.push('', `load average at the end: ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  console.log(lines.join('\n'));
  const out = join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-optimizers.md`);
  if (existsSync(join(root, 'bench', 'results'))) writeFileSync(out, `${lines.join('\n')}\n`);
} finally {
  git('worktree', 'remove', '--force', folder);
  rmSync(folder, { recursive: true, force: true });
}
