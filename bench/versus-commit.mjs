// Training speed of this checkout against another commit's build, in one process, alternating
// rounds so that both see the same machine: the MLP 784-128-10 ReLU (softmax cross-entropy, Adam,
// batch 128, one epoch of 10 000 MNIST rows per sample, in this thread and in a worker), or with
// --model cnn the MNIST CNN of bench/cnn-spec.mjs (one epoch of 2 000 rows, in this thread).
//
//   node bench/versus-commit.mjs <commit> [--rounds N] [--model mlp|cnn] [--in-thread]
//
// The other commit is checked out into a temporary folder (git worktree), shares this checkout's
// node_modules, and is built there with its own scripts; its dist/ is imported by path.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTrainer } from 'descent-wasm';
import { CNN_SPEC } from './cnn-spec.mjs';
import { MLP, mnistRows, SPEC } from './mlp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const [commit, ...rest] = process.argv.slice(2);
if (!commit) throw new Error('usage: node bench/versus-commit.mjs <commit> [--rounds N]');
const roundsAt = rest.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(rest[roundsAt + 1]) : 7;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${rest[roundsAt + 1]}`);
const modelAt = rest.indexOf('--model');
const model = modelAt >= 0 ? rest[modelAt + 1] : 'mlp';
if (model !== 'mlp' && model !== 'cnn') throw new Error(`--model must be mlp or cnn, got ${model}`);
const spec = model === 'cnn' ? CNN_SPEC : SPEC;
const rowCount = model === 'cnn' ? 2_000 : 10_000;

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const sha = git('rev-parse', commit);
const folder = mkdtempSync(join(os.tmpdir(), 'descent-versus-'));
git('worktree', 'add', '--detach', folder, sha);
try {
  symlinkSync(join(root, 'node_modules'), join(folder, 'node_modules'));
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: folder, stdio: 'ignore' });
  const other = await import(pathToFileURL(join(folder, 'dist', 'index.js')).href);
  const data = mnistRows(rowCount);
  const epoch = { epochs: 1, batchSize: MLP.batchSize, shuffle: true };

  /** Milliseconds of one epoch, per round, for `make` (a createTrainer) with `options`. */
  const runners = {
    [`this checkout, in-thread`]: () => createTrainer(spec, { worker: false }),
    [`${sha.slice(0, 7)}, in-thread`]: () => other.createTrainer(spec, { worker: false }),
    ...(model === 'mlp' && !rest.includes('--in-thread') ? {
      [`this checkout, worker`]: () => createTrainer(spec),
      [`${sha.slice(0, 7)}, worker`]: () => other.createTrainer(spec),
    } : {}),
  };
  const trainers = Object.fromEntries(await Promise.all(Object.entries(runners).map(async ([name, make]) => [name, await make()])));
    // CPU time of this process (all its threads) beside wall time: on a shared machine it leaves out the
  // time other processes held the cores, which wall time counts
  const cpuSamples = Object.fromEntries(Object.keys(trainers).map((name) => [name, []]));
  const samples = Object.fromEntries(Object.keys(trainers).map((name) => [name, []]));
  // one warm-up epoch each, then the rounds, each timing every variant once in turn
  for (const t of Object.values(trainers)) await t.fit(data.x, data.y, epoch);
  for (let round = 0; round < rounds; round++) {
    // every other round in the reverse order, so that no variant always runs right after another
    const order = round % 2 === 0 ? Object.entries(trainers) : Object.entries(trainers).reverse();
    for (const [name, t] of order) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await t.fit(data.x, data.y, epoch);
      samples[name].push(performance.now() - started);
      const cpu = process.cpuUsage(cpuBefore);
      cpuSamples[name].push((cpu.user + cpu.system) / 1000);
    }
  }
  const weights = Object.fromEntries(await Promise.all(Object.entries(trainers).map(async ([name, t]) => [name, await t.getWeights()])));
  for (const t of Object.values(trainers)) await t.dispose();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const names = Object.keys(samples);
  const lines = [
    `# ${model.toUpperCase()} training: this checkout vs ${sha.slice(0, 7)}`,
    '',
    `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · Node ${process.version} · load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} (at the end) · ${rounds} rounds of one epoch (${rowCount} MNIST rows, batch ${epoch.batchSize}, Adam) per variant, interleaved`,
    '',
    '| variant | median ms | min ms | median CPU ms | samples (wall ms) |',
    '|---|---|---|---|---|',
    ...names.map((name) => `| ${name} | ${median(samples[name]).toFixed(1)} | ${Math.min(...samples[name]).toFixed(1)} | ${median(cpuSamples[name]).toFixed(1)} | ${samples[name].map((v) => v.toFixed(0)).join(' ')} |`),
    '',
    // each round ran new and old one after the other: the median of their paired ratios cancels slower drifts of the machine
    `new / old, in-thread: ${median(samples[names[0]].map((v, r) => v / samples[names[1]][r])).toFixed(3)} (median of paired rounds), ${(median(samples[names[0]]) / median(samples[names[1]])).toFixed(3)} (medians), ${(Math.min(...samples[names[0]]) / Math.min(...samples[names[1]])).toFixed(3)} (minima)`,
    `new / old, in-thread CPU time: ${median(cpuSamples[names[0]].map((v, r) => v / cpuSamples[names[1]][r])).toFixed(3)} (median of paired rounds)`,
    ...(names.length > 2 ? [`new / old, worker: ${median(samples[names[2]].map((v, r) => v / samples[names[3]][r])).toFixed(3)} (median of paired rounds), ${(median(samples[names[2]]) / median(samples[names[3]])).toFixed(3)} (medians), ${(Math.min(...samples[names[2]]) / Math.min(...samples[names[3]])).toFixed(3)} (minima)`] : []),
    // same seed, same data, same order: both versions must have trained the same network
    `weights identical after ${rounds + 1} epochs (in-thread new vs old): ${Object.keys(weights[names[0]]).every((k) => weights[names[0]][k].every((v, i) => v === weights[names[1]][k][i]))}`,
  ];
  console.log(lines.join('\n'));
  const out = join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-versus-${sha.slice(0, 7)}${model === 'cnn' ? '-cnn' : ''}.md`);
  if (existsSync(join(root, 'bench', 'results'))) writeFileSync(out, `${lines.join('\n')}\n`);
} finally {
  git('worktree', 'remove', '--force', folder);
  rmSync(folder, { recursive: true, force: true });
}
