// The README's PyTorch snippet, run for real against descent, both ways:
//
//   descent -> torch  Trained models (every activation, dropout with rate > 0, a layer without bias,
//                     normalize: true with a constant feature; conv2d and conv1d on channels-last
//                     rows, fed to torch permuted channels-first) are saved with save(); the README's
//                     Python block loads each checkpoint and its predict(x) must give what descent's
//                     predict(x, { raw: true }) gives, on the SIMD and on the scalar build.
//   torch -> descent  test/fixtures/python/readme_torch.py builds nn.Sequential models with a seeded
//                     init and saves their state dicts with safetensors in F32, F16 and BF16 under
//                     descent's names; importWeights must read the very same (rounded) weights, and
//                     predict(x, { raw: true }) must give torch's outputs (every build). Their
//                     weights are bit-compared too: F16 subnormals and a negative zero included.
//
// Which README block: the one fenced ```python block whose code calls `descent_torch.load(` (the
// README may be reorganised; that call is what makes a block "the PyTorch loader"). It is run
// unchanged, with python/ on PYTHONPATH (as `pip install ./python` would provide descent_torch) and
// the checkpoint saved under the file name the block opens (its first string literal ending in
// .safetensors) in the working directory, and must leave `model` and `predict(x)` behind.
//
// Everything on the Python side runs in one python3 (or $PYTHON) process: importing torch takes seconds. Without
// torch and safetensors the tests are skipped, saying so, unless DESCENT_REQUIRE_TORCH=1 (as .ci/run
// sets), which makes that a failure.
//
// Tolerance: both sides compute in float32 from bit-identical weights and inputs, only the order of
// the sums (and the exp/tanh/erf implementations) differ, so |descent − torch| ≤ ATOL + RTOL·|torch|
// with ATOL = RTOL = 1e-5 (about 80 float32 ulps at 1) — for F16 and BF16 too, since both sides use
// the same rounded weights.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrainer, type TrainerSpec } from '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL, runPython, torchTestPlan } from './reference/python.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const driver = join(root, 'test/fixtures/python/readme_torch.py');
const ATOL = 1e-5;
const RTOL = 1e-5;
const BUILDS = ['relaxed', 'simd', 'scalar'] as const;
type Build = (typeof BUILDS)[number];

const plan = torchTestPlan('test/readme.python.test.ts');

/** The README's PyTorch loader block (the rule is at the top of this file). */
function readmePythonBlock(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```python\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).filter((code) => code.includes('descent_torch.load('));
  expect(blocks, 'README.md must have exactly one ```python block calling descent_torch.load(').toHaveLength(1);
  return blocks[0]!;
}

// Seeded data: mulberry32 and Box–Muller.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

interface Case {
  name: string;
  spec: TrainerSpec;
  /** Feature j of a row is scale[j] · N(0, 1) + offset[j] (scale 0: a constant feature). */
  scale: number[];
  offset: number[];
  /** Targets from a row: a class index, or a float row. */
  target: (row: number[]) => number | number[];
  validationSplit?: number;
  /** Rows of token ids in [0, vocab) instead of features (an embedding first layer; scale and offset unused). */
  vocab?: number;
}

const argmax = (values: number[]): number => values.indexOf(Math.max(...values));

const cases: Case[] = [
  {
    // normalize with features of very different scales and one constant feature (std stored as 1)
    name: 'softmax_cross_entropy: relu, dropout 0.25, leaky_relu without bias, gelu, linear; normalize',
    spec: {
      inputSize: 6,
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dropout', rate: 0.25 },
        { units: 12, activation: 'leaky_relu', useBias: false },
        { units: 10, activation: 'gelu', init: 'heNormal' },
        { units: 3, activation: 'linear' },
      ],
      loss: 'softmax_cross_entropy',
      optimizer: { name: 'adam', learningRate: 0.01 },
      seed: 3,
      normalize: true,
    },
    scale: [1, 100, 0.01, 5, 0, 2],
    offset: [0, 50, -3, 10, 7, 0],
    target: (r) => argmax([r[0]! + r[3]! / 5 - 2, (r[1]! - 50) / 100, (r[2]! + 3) * 100 - r[5]!]),
  },
  {
    name: 'mse: dropout 0.1 first, sigmoid, tanh (l2), linear',
    spec: {
      inputSize: 4,
      layers: [
        { type: 'dropout', rate: 0.1 },
        { units: 8, activation: 'sigmoid' },
        { units: 8, activation: 'tanh', l2: 1e-3 },
        { units: 2 },
      ],
      loss: 'mse',
      optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9 },
      seed: 5,
    },
    scale: [1, 1, 2, 0.5],
    offset: [0, 1, 0, -1],
    target: (r) => [Math.sin(r[0]!) + r[1]! * r[2]!, r[3]! - r[0]! / 2],
  },
  {
    // normalisation statistics from the training rows only (validationSplit)
    name: 'cross_entropy: tanh and softmax as activation layers; normalize with validationSplit',
    spec: {
      inputSize: 3,
      layers: [{ units: 8 }, { type: 'activation', activation: 'tanh' }, { units: 4 }, { type: 'activation', activation: 'softmax' }],
      loss: 'cross_entropy',
      optimizer: { name: 'rmsprop', learningRate: 0.01 },
      seed: 11,
      normalize: true,
    },
    scale: [3, 0.2, 1],
    offset: [-4, 2, 0.5],
    target: (r) => {
      const k = argmax([r[0]! + 4, (r[1]! - 2) * 15, r[2]! - 0.5, 0.8]);
      return [0, 1, 2, 3].map((c) => (c === k ? 1 : 0));
    },
    validationSplit: 0.25,
  },
  {
    name: 'nll: relu, dropout 0.5, log_softmax without bias',
    spec: {
      inputSize: 5,
      layers: [{ units: 10, activation: 'relu' }, { type: 'dropout', rate: 0.5 }, { units: 4, activation: 'log_softmax', useBias: false }],
      loss: 'nll',
      optimizer: { name: 'adamw', learningRate: 0.02 },
      seed: 17,
    },
    scale: [1, 1, 1, 1, 1],
    offset: [0, 0, 0, 0, 0],
    target: (r) => argmax([r[0]!, r[1]! - r[2]!, r[3]!, r[4]! * 0.5]),
  },
  {
    // ids → (N, T, units) → channels-first for BatchNorm1d on (N, C, T), layernorm permuted around, BatchNorm1d on (N, C)
    name: 'softmax_cross_entropy: embedding (paddingIdx 0), layernorm and batchnorm over [T, C], flatten, relu, batchnorm over [n]',
    spec: {
      inputShape: [6],
      layers: [
        { type: 'embedding', vocabSize: 12, units: 5, paddingIdx: 0 },
        { type: 'layernorm' },
        { type: 'batchnorm', momentum: 0.2 },
        { type: 'flatten' },
        { units: 8, activation: 'relu' },
        { type: 'batchnorm' },
        { units: 3 },
      ],
      loss: 'softmax_cross_entropy',
      optimizer: { name: 'adam', learningRate: 0.02 },
      seed: 23,
    },
    scale: [],
    offset: [],
    vocab: 12,
    target: (r) => argmax([r.filter((id) => id < 4).length, r.filter((id) => id >= 8).length, 2]),
  },
  {
    // [H, W, C] rows: BatchNorm2d on NCHW, layernorm on channels-last, flatten in (H, W, C) order
    name: 'mse: batchnorm and layernorm over [3, 2, 2] images, flatten, tanh, layernorm over [n]',
    spec: {
      inputShape: [3, 2, 2],
      layers: [{ type: 'batchnorm', eps: 1e-3 }, { type: 'layernorm' }, { type: 'flatten' }, { units: 6, activation: 'tanh' }, { type: 'layernorm' }, { units: 2 }],
      loss: 'mse',
      optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9 },
      seed: 29,
    },
    scale: [1, 2, 0.5, 1, 3, 1, 1, 1, 0.2, 1, 1, 2],
    offset: [0, 1, 0, -1, 0, 2, 0, 0, 1, 0, 0, 5],
    target: (r) => [Math.sin(r[0]!) + r[5]! / 3, r[11]! - 5 - r[3]!],
  },
  {
    name: 'bce_with_logits: layernorm and batchnorm over [4, 3] sequences, softmax over channels, flatten',
    spec: {
      inputShape: [4, 3],
      layers: [{ type: 'layernorm', eps: 1e-3 }, { type: 'batchnorm' }, { type: 'activation', activation: 'softmax' }, { type: 'flatten' }, { units: 2 }],
      loss: 'bce_with_logits',
      optimizer: { name: 'adam', learningRate: 0.02 },
      seed: 31,
    },
    scale: new Array(12).fill(1),
    offset: new Array(12).fill(0).map((_, j) => j % 3),
    target: (r) => [r[0]! > r[1]! ? 1 : 0, r[10]! + r[11]! > 2 ? 1 : 0],
  },
  {
    // pooling on NCHW in torch: overlapping max windows, an average with padding counted as zeros, then flatten in (H, W, C) order
    name: 'mse: maxpool2d (pool 2, stride 1) and avgpool2d (pool 3, stride 2, padding 1) over [5, 4, 3] images, flatten, tanh',
    spec: {
      inputShape: [5, 4, 3],
      layers: [
        { type: 'maxpool2d', poolSize: 2, stride: 1 },
        { type: 'avgpool2d', poolSize: 3, stride: 2, padding: 1 },
        { type: 'flatten' },
        { units: 6, activation: 'tanh' },
        { units: 2 },
      ],
      loss: 'mse',
      optimizer: { name: 'adam', learningRate: 0.01 },
      seed: 37,
    },
    scale: new Array(60).fill(1),
    offset: new Array(60).fill(0).map((_, j) => (j % 3) - 1),
    target: (r) => [Math.max(r[0]!, r[3]!, r[12]!) - r[59]!, Math.tanh(r[30]! + r[31]!)],
  },
  {
    name: 'softmax_cross_entropy: maxpool1d (pool 3, stride 2, padding 1) and avgpool1d (pool 2, stride 1) over [7, 3] sequences, globalavgpool, relu',
    spec: {
      inputShape: [7, 3],
      layers: [
        { type: 'maxpool1d', poolSize: 3, stride: 2, padding: 1 },
        { type: 'avgpool1d', poolSize: 2, stride: 1 },
        { type: 'globalavgpool' },
        { units: 8, activation: 'relu' },
        { units: 3 },
      ],
      loss: 'softmax_cross_entropy',
      optimizer: { name: 'adam', learningRate: 0.02 },
      seed: 41,
    },
    scale: new Array(21).fill(1),
    offset: new Array(21).fill(0),
    target: (r) => argmax([0, 1, 2].map((c) => Math.max(...r.filter((_, j) => j % 3 === c)))),
  },
  {
    name: 'mse: avgpool2d (pool [2, 1]) over [4, 4, 5] images, globalavgpool over 5 channels, linear',
    spec: {
      inputShape: [4, 4, 5],
      layers: [{ type: 'avgpool2d', poolSize: [2, 1] }, { type: 'globalavgpool' }, { units: 2 }],
      loss: 'mse',
      optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9 },
      seed: 43,
    },
    scale: new Array(80).fill(1),
    offset: new Array(80).fill(0).map((_, j) => (j % 5) / 2 - 1),
    target: (r) => [r.reduce((s, v) => s + v, 0) / 80, r[4]! - r[79]!],
  },
  {
    // NHWC rows permuted to NCHW for nn.Conv2d, 'same' and explicit padding, a stride, flatten in (H, W, C) order
    name: 'softmax_cross_entropy: conv2d same relu, conv2d [3, 2] stride 2 padding 1 tanh without bias, flatten; normalize',
    spec: {
      inputShape: [6, 5, 2],
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'conv2d', filters: 5, kernelSize: [3, 2], stride: 2, padding: 1, activation: 'tanh', useBias: false },
        { type: 'flatten' },
        { units: 3 },
      ],
      loss: 'softmax_cross_entropy',
      optimizer: { name: 'adam', learningRate: 0.01 },
      seed: 47,
      normalize: true,
    },
    scale: new Array(60).fill(0).map((_, j) => (j % 2 ? 3 : 1)),
    offset: new Array(60).fill(0).map((_, j) => (j % 2 ? 10 : 0)),
    target: (r) => argmax([r[0]! + r[2]!, (r[31]! - 10) / 3, r[58]! - r[20]!]),
  },
  {
    // (N, T, C) rows permuted to (N, C, T) for nn.Conv1d; dilation, asymmetric 'same', softmax over the filters (dim 1)
    name: 'mse: conv1d k 4 dilation 2 same gelu, conv1d k 2 stride 2 softmax, flatten, dense',
    spec: {
      inputShape: [9, 3],
      layers: [
        { type: 'conv1d', filters: 5, kernelSize: 4, dilation: 2, padding: 'same', activation: 'gelu' },
        { type: 'conv1d', filters: 3, kernelSize: 2, stride: 2, activation: 'softmax' },
        { type: 'flatten' },
        { units: 2 },
      ],
      loss: 'mse',
      optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9 },
      seed: 53,
    },
    scale: new Array(27).fill(1),
    offset: new Array(27).fill(0),
    target: (r) => [Math.sin(r[0]! + r[13]!), r[26]! - r[4]!],
  },
  {
    // a graph: a residual block (add of channels-first conv outputs), a concat with the model input,
    // a frozen batchnorm, a flatten channelsFirst, and a dense layer read by two entries
    name: 'softmax_cross_entropy: residual conv2d block (add), concat with the input, frozen batchnorm, flatten channelsFirst',
    spec: {
      inputShape: [5, 4, 2],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a' },
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', name: 'b' },
        { type: 'add', inputs: ['a', 'b'] },
        { type: 'batchnorm', trainable: false, name: 'n' },
        { type: 'concat', inputs: ['n', 'input'] },
        { type: 'flatten', dataFormat: 'channelsFirst' },
        { units: 6, activation: 'tanh', name: 'h' },
        { type: 'layernorm', inputs: ['h'], name: 'g' },
        { type: 'concat', inputs: ['h', 'g'] },
        { units: 3 },
      ],
      loss: 'softmax_cross_entropy',
      optimizer: { name: 'adam', learningRate: 0.01 },
      seed: 59,
    },
    scale: new Array(40).fill(1),
    offset: new Array(40).fill(0),
    target: (r) => argmax([r[0]! + r[1]!, r[20]! - r[39]!, r[10]!]),
  },
];

/** rows × d features of a case, and its targets. */
function dataOf(c: Case, rows: number, seed: number): { x: Float32Array | Int32Array; y: Int32Array | Float32Array; rows: number[][] } {
  const next = random(seed);
  const d = c.spec.inputSize ?? c.spec.inputShape!.reduce((a, b) => a * b, 1);
  const x = c.vocab ? new Int32Array(rows * d) : new Float32Array(rows * d);
  for (let i = 0; i < x.length; i++) x[i] = c.vocab ? Math.floor(next() * c.vocab) : c.scale[i % d]! * gaussian(next) + c.offset[i % d]!;
  const rowsOf = Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * d, (r + 1) * d)));
  const targets = rowsOf.map(c.target);
  const y = typeof targets[0] === 'number' ? Int32Array.from(targets as number[]) : Float32Array.from((targets as number[][]).flat());
  return { x, y, rows: rowsOf };
}

/** Largest |a − b| and |a − b| / |b| over the elements, and whether each is within ATOL + RTOL·|b|. */
function compare(descent: Float32Array, torch: number[][]): { abs: number; rel: number; ok: boolean } {
  const flat = torch.flat();
  expect(descent.length).toBe(flat.length);
  let abs = 0, rel = 0, ok = true;
  flat.forEach((b, i) => {
    const error = Math.abs(descent[i]! - b);
    abs = Math.max(abs, error);
    if (b !== 0) rel = Math.max(rel, error / Math.abs(b));
    if (!(error <= ATOL + RTOL * Math.abs(b))) ok = false;
  });
  return { abs, rel, ok };
}

interface Response {
  torch: string;
  checkpoints: { outputs: number[][]; training: boolean; modules: string[] }[];
  exports: {
    name: string;
    spec: TrainerSpec;
    x: number[][];
    files: Record<string, string>;
    outputs: Record<string, number[][]>;
    weights: Record<string, Record<string, number[]>>;
  }[];
}

describe.skipIf(!plan.run)('README Python block with PyTorch', () => {
  let dir = '';
  let response: Response;
  // descentOutputs[n][build]: predict(x, { raw: true }) of case n on each build
  const descentOutputs: Record<Build, Float32Array>[] = [];
  const normalizations: ({ mean: number[]; std: number[] } | null)[] = [];
  const trainData: ReturnType<typeof dataOf>[] = [];

  beforeAll(async () => {
    if (!plan.available.ok) throw new Error(`DESCENT_REQUIRE_TORCH=1 but ${plan.available.why}; install them: ${INSTALL}`);
    const block = readmePythonBlock();
    const fileName = /["']([^"']+\.safetensors)["']/.exec(block)?.[1];
    expect(fileName, 'the README block must open a file named "*.safetensors"').toBeDefined();
    dir = mkdtempSync(join(tmpdir(), 'descent-readme-python-'));
    const blockPath = join(dir, 'readme_block.py');
    writeFileSync(blockPath, block);

    const checkpoints = [];
    for (const [n, c] of cases.entries()) {
      const train = dataOf(c, 96, 100 + n);
      trainData.push(train);
      const trainer = await createTrainer(c.spec, { worker: false });
      try {
        await trainer.fit(train.x, train.y, { epochs: 8, batchSize: 16, validationSplit: c.validationSplit });
        const bytes = await trainer.save();
        const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
        const metadata = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))).__metadata__;
        normalizations.push(JSON.parse(metadata.normalization));
        // Rows like the training data, and wider ones (the constant feature takes other values too).
        const test = dataOf({ ...c, scale: c.scale.map((s) => 1.5 * (s || 1)) }, 40, 200 + n);
        // Every build from the same checkpoint (the scalar exp, tanh and erf are not the SIMD ones;
        // the relaxed build fuses its multiply-adds).
        const outputs: Partial<Record<Build, Float32Array>> = {};
        for (const build of BUILDS) {
          const other = await createTrainer(bytes, { worker: false, build });
          try {
            outputs[build] = await other.predict(test.x, { raw: true });
          } finally {
            await other.dispose();
          }
        }
        descentOutputs.push(outputs as Record<Build, Float32Array>);
        const modelDir = join(dir, `checkpoint-${n}`);
        mkdirSync(modelDir);
        writeFileSync(join(modelDir, fileName!), bytes);
        checkpoints.push({ dir: modelDir, x: test.rows });
      } finally {
        await trainer.dispose();
      }
    }

    const request = join(dir, 'request.json');
    const responsePath = join(dir, 'response.json');
    writeFileSync(request, JSON.stringify({ readmeBlock: blockPath, checkpoints, exportDir: join(dir, 'torch') }));
    runPython([driver, request, responsePath], { cwd: dir });
    response = JSON.parse(readFileSync(responsePath, 'utf8'));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('descent -> torch: the README block on saved checkpoints', () => {
    for (const [n, c] of cases.entries()) {
      it(c.name, () => {
        const result = response.checkpoints[n]!;
        expect(result.training, 'the README block must leave the model in eval mode').toBe(false);
        const dropouts = c.spec.layers.filter((l) => l.type === 'dropout').length;
        expect(result.modules.filter((m) => m === 'Dropout')).toHaveLength(dropouts);
        for (const build of BUILDS) {
          const { abs, rel, ok } = compare(descentOutputs[n]![build], result.outputs);
          console.log(`descent -> torch, ${build} build, ${c.name}: max |Δ| ${abs.toExponential(2)}, max rel ${rel.toExponential(2)} (torch ${response.torch})`);
          expect(ok, `${build} build: max |Δ| ${abs}, max rel ${rel} over ATOL ${ATOL} + RTOL ${RTOL}·|torch|`).toBe(true);
        }
      });
    }

    it('normalisation: population mean and std of the first fit\'s training rows, std 1 for a constant feature', () => {
      for (const [n, c] of cases.entries()) {
        const stats = normalizations[n]!;
        if (!c.spec.normalize) {
          expect(stats).toBeNull();
          continue;
        }
        const d = c.spec.inputSize;
        const rows = trainData[n]!.rows.slice(0, 96 - Math.floor(96 * (c.validationSplit ?? 0)));
        for (let j = 0; j < d; j++) {
          const column = rows.map((r) => r[j]!);
          const mean = column.reduce((s, v) => s + v, 0) / column.length;
          const std = Math.sqrt(column.reduce((s, v) => s + (v - mean) ** 2, 0) / column.length) || 1;
          expect(stats!.mean[j]).toBeCloseTo(mean, 9);
          expect(stats!.std[j]).toBeCloseTo(std, 9);
          if (c.scale[j] === 0) expect(stats!.std[j]).toBe(1);
        }
      }
    });
  });

  describe('torch -> descent: importWeights of torch-saved state dicts', () => {
    for (const dtype of ['F32', 'F16', 'BF16']) {
      it.for(BUILDS)(`${dtype}, %s build: the same weights, and predict(x, { raw: true }) gives torch's outputs`, async (build) => {
        expect(response.exports.length).toBeGreaterThan(0);
        let worst = { abs: 0, rel: 0 };
        for (const model of response.exports) {
          const trainer = await createTrainer(model.spec, { worker: false, build });
          try {
            await trainer.importWeights(readFileSync(model.files[dtype]!));
            const weights = trainer.getWeights();
            // Bit for bit (signed zeros and F16 subnormals included): toEqual compares with Object.is.
            expect(Object.keys(weights).sort()).toEqual(Object.keys(model.weights[dtype]!).sort());
            for (const [name, values] of Object.entries(model.weights[dtype]!)) expect(Array.from(weights[name]!), `${model.name} ${name}`).toEqual(values);
            const result = await trainer.predict(Float32Array.from(model.x.flat()), { raw: true });
            const { abs, rel, ok } = compare(result, model.outputs[dtype]!);
            worst = { abs: Math.max(worst.abs, abs), rel: Math.max(worst.rel, rel) };
            expect(ok, `${build} build, ${model.name}: max |Δ| ${abs}, max rel ${rel} over ATOL ${ATOL} + RTOL ${RTOL}·|torch|`).toBe(true);
          } finally {
            await trainer.dispose();
          }
        }
        console.log(`torch -> descent ${dtype}, ${build} build: max |Δ| ${worst.abs.toExponential(2)}, max rel ${worst.rel.toExponential(2)} over ${response.exports.map((m) => m.name).join(', ')}`);
      });
    }
  });
});
