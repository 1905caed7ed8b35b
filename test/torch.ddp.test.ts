// The README's DistributedDataParallel round trip, run as the README says: descent_torch installed
// with pip from a copy of python/ (the README's `pip install …/python`, into a scratch folder), the
// README's `python ddp` block saved under the name its torchrun line runs, and that torchrun line
// (through `$PYTHON -m torch.distributed.run`, which is what the torchrun script calls) on two CPU
// processes with gloo — then the same with one process, and descent's `workers: 2` on the same
// checkpoint and global batches (shuffle off).
//
// Tolerance: all three average the same per-row gradients of each global batch, in float32, in
// different orders (torch: two half-batch means averaged by all-reduce; one process: one mean;
// descent: chunk sums in chunk order), so each step's gradient differs by float32 rounding (a few
// 2⁻²⁴ relative). Over the 8 Adam steps here that moves the weights by 1e-7 to 1e-6 relative
// (max |a − r| / max |r| per tensor; measured values are printed); TOL = 1e-5 leaves room, while a
// process that trained on the wrong rows, a sum instead of an average, or a lost optimizer state
// moves them by 1e-3 or more (the control: the continuation moves the weights ≥ 100·TOL from where
// it started).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
import { decodeSafetensors, encodeSafetensors, f32Tensor, tensorToFloat32, tensorToInteger } from '../src/io/safetensors.js';
import { random } from './interop/numbers.js';
import { relArray } from './reference/golden.js';
import { PYTHON, REPOSITORY, runPython, runPythonAsync, torchTestPlan } from './reference/python.js';

const plan = torchTestPlan('test/torch.ddp.test.ts');
const TOL = 1e-5;
const ROWS = 256;
const FEATURES = 8;
const spec: TrainerSpec = {
  inputSize: FEATURES,
  layers: [{ units: 16, activation: 'tanh', l2: 1e-4 }, { units: 2 }],
  loss: 'mse',
  optimizer: { name: 'adam', learningRate: { name: 'exponential', initial: 0.01, gamma: 0.97 }, clipGlobalNorm: 5 },
  seed: 3,
};

/** The README's one fenced block with info `info` that contains `text`. */
function readmeBlock(info: string, text: string): string {
  const readme = readFileSync(join(REPOSITORY, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1]!.trim() === info && m[2]!.includes(text)).map((m) => m[2]!);
  expect(blocks, `README.md must have one \`\`\`${info} block containing ${text}`).toHaveLength(1);
  return blocks[0]!;
}

/** The F32 tensors of a checkpoint file by name, and its optimizer step. */
function tensorsOf(path: string): { tensors: Record<string, Float32Array>; step: number } {
  const file = decodeSafetensors(new Uint8Array(readFileSync(path)));
  const tensors: Record<string, Float32Array> = {};
  for (const [name, entry] of file.tensors) if (entry.dtype === 'F32') tensors[name] = tensorToFloat32(name, entry);
  return { tensors, step: tensorToInteger('optimizer.step', file.tensors.get('optimizer.step')!) };
}

/** A TCP port nobody listens on now (for the one-process run's rendezvous). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function worst(a: Record<string, Float32Array>, r: Record<string, Float32Array>, names = Object.keys(r)): number {
  return Math.max(...names.map((name) => relArray(a[name], r[name]!)));
}

describe.skipIf(!plan.run)('README: continue under torchrun with DistributedDataParallel, come back', () => {
  let dir = '';
  let start: Record<string, Float32Array> = {};
  let x: Float32Array;
  let y: Float32Array;
  const measured: string[] = [];

  beforeAll(async () => {
    if (!plan.available.ok) throw new Error(`DESCENT_REQUIRE_TORCH=1 but ${plan.available.why}`);
    dir = mkdtempSync(join(tmpdir(), 'descent-ddp-'));
    const next = random(77);
    x = Float32Array.from({ length: ROWS * FEATURES }, () => 2 * next());
    y = Float32Array.from({ length: ROWS * 2 }, (_, i) => {
      const row = Math.floor(i / 2);
      return i % 2 ? Math.tanh(x[row * FEATURES]! - x[row * FEATURES + 5]!) : x[row * FEATURES + 1]! * x[row * FEATURES + 2]!;
    });
    // a run started in descent: two epochs, so Adam's moments and the schedule are under way
    const trainer = await createTrainer(spec, { worker: false });
    await trainer.fit(x, y, { epochs: 2, batchSize: 64, shuffle: false });
    start = trainer.getWeights();
    writeFileSync(join(dir, 'model.safetensors'), await trainer.save());
    await trainer.dispose();
    writeFileSync(join(dir, 'data.safetensors'), encodeSafetensors(new Map([
      ['x', f32Tensor(x, [ROWS, FEATURES])], ['y', f32Tensor(y, [ROWS, 2])],
    ]), {}));

    // pip install of the package's python/ folder (the README's line, into a scratch folder)
    const pipLine = readmeBlock('sh', 'torchrun ').split('\n').find((line) => line.startsWith('pip install '));
    expect(pipLine).toMatch(/^pip install \S+\/python$/);
    cpSync(join(REPOSITORY, 'python'), join(dir, 'package-python'), { recursive: true, filter: (path) => !/__pycache__|egg-info|[/\\]build$/.test(path) });
    runPython(['-m', 'pip', 'install', '--quiet', '--no-build-isolation', '--no-deps', '--target', join(dir, 'site'), join(dir, 'package-python')], { cwd: dir });

    const torchrunLine = readmeBlock('sh', 'torchrun ').split('\n').find((line) => line.startsWith('torchrun '))!;
    const args = torchrunLine.split(/\s+/).slice(1);
    const script = args.find((arg) => arg.endsWith('.py'))!;
    writeFileSync(join(dir, script), readmeBlock('python ddp', 'DistributedDataParallel('));
    expect(args).toContain('--nproc_per_node=2');
    const options = { cwd: dir, pythonPath: join(dir, 'site'), timeout: 120_000 };
    // One process: the script itself, as torchrun would start it with --nproc_per_node=1 (its
    // environment, without the launcher's own torch import), beside the two-process run.
    const scriptArgs = args.slice(args.indexOf(script));
    await Promise.all([
      runPythonAsync(['-m', 'torch.distributed.run', ...args], options),
      runPythonAsync([...scriptArgs.map((arg) => (arg === 'back.safetensors' ? 'back-one.safetensors' : arg))], {
        ...options, env: { RANK: '0', LOCAL_RANK: '0', WORLD_SIZE: '1', LOCAL_WORLD_SIZE: '1', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(await freePort()) },
      }),
    ]);
  }, 240_000);

  afterAll(() => {
    if (measured.length) console.log(`DDP (${PYTHON}, torch.distributed.run, gloo):\n${measured.join('\n')}`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two processes agree with one on the same global batches (weights and optimizer state), to float32 rounding of the gradient average', () => {
    const two = tensorsOf(join(dir, 'back.safetensors'));
    const one = tensorsOf(join(dir, 'back-one.safetensors'));
    expect(two.step).toBe(16); // 8 steps in descent, then 2 epochs of 4 global batches
    expect(one.step).toBe(16);
    const weights = Object.keys(start);
    const error = worst(two.tensors, one.tensors, weights);
    const slots = worst(two.tensors, one.tensors, Object.keys(one.tensors).filter((name) => name.startsWith('optimizer.')));
    measured.push(`2 processes vs 1: weights ${error.toExponential(2)}, optimizer state ${slots.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(TOL);
    expect(slots).toBeLessThanOrEqual(TOL);
    const moved = worst(start, one.tensors, weights);
    measured.push(`control: the continuation moved the weights by ${moved.toExponential(2)}`);
    expect(moved).toBeGreaterThan(100 * TOL);
  });

  it('descent\'s workers: 2 on the same checkpoint and batches agrees with torch, and resumes what torchrun saved', async () => {
    const one = tensorsOf(join(dir, 'back-one.safetensors')).tensors;
    const parallel = await createTrainer(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), { workers: 2 });
    try {
      expect(parallel.info.workers).toBe(2);
      await parallel.fit(x, y, { epochs: 2, batchSize: 64, shuffle: false });
      const error = worst(await parallel.getWeights(), one, Object.keys(start));
      measured.push(`descent workers: 2 vs torch, 1 process: ${error.toExponential(2)}`);
      expect(error).toBeLessThanOrEqual(TOL);
    } finally {
      await parallel.dispose();
    }
    // come back: descent takes the DDP run's checkpoint as it is, and trains on
    const back = tensorsOf(join(dir, 'back.safetensors')).tensors;
    const resumed = await createTrainer(new Uint8Array(readFileSync(join(dir, 'back.safetensors'))), { worker: false });
    try {
      const weights = resumed.getWeights();
      for (const name of Object.keys(start)) expect(weights[name], name).toEqual(back[name]);
      const history = await resumed.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false });
      expect(history.epochs[0]!.epoch).toBe(3); // descent's 2 epochs; torch's loop keeps no epoch count
      expect(Number.isFinite(history.epochs[0]!.loss)).toBe(true);
    } finally {
      await resumed.dispose();
    }
  });
});
