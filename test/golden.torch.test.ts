// descent's trainer against PyTorch itself, from golden files (no torch at test time).
//
// test/fixtures/torch/generate.py replays each case in torch (nn.Linear layers, torch.nn losses,
// torch.optim optimizers and lr schedulers, clip_grad_value_ / clip_grad_norm_; Lion, LAMB,
// linearWarmup and a few Keras losses torch lacks are written there in torch ops and marked as
// such) and records, in float64 and in float32, the final weights, each epoch's loss and lr as
// descent reports them, and evaluate() / predict() after training. Here every case runs on both
// WASM builds (relaxed, SIMD and scalar) from the same initial weights (setWeights), with shuffle off.
//
// Errors are relative: per weight tensor and for predict, max |a − r| / max |r| (so that a value
// near zero inside a tensor does not blow up the ratio); for each epoch loss, each epoch lr and the
// evaluate loss, |a − r| / |r|. A case's error is the largest of these.
//
// Tolerance per case: tol = max(K · d32, FLOOR), with d32 the same error between torch's float32 and
// float64 runs of that case, and descent (float32) compared with the float64 reference.
//   d32 measures how much float32 rounding moves this particular case (how many steps, how the
//   optimizer amplifies rounding — Adam with a small v, 1/sqrt(v), cancellations near zero). descent
//   computes in float32 too, but in another order (SIMD lanes, blocked GEMM, its own exp/tanh/erf),
//   so its rounding is a different draw of the same size: it should land at about d32 from float64,
//   not exactly where torch's float32 lands. K = 8 leaves room for that (measured: descent's error is
//   at most ~3·d32 on every case that agrees with torch), while a real semantic difference — a term
//   missing from a formula, an epsilon in the wrong place, an off-by-one step in a schedule — moves
//   the results by 1e-3 or more, i.e. by orders of magnitude above 8 · d32 (d32 is ~1e-7 here: the
//   generator only keeps cases whose float32 run stays within 2e-5 of float64).
//   FLOOR = 1e-6 covers cases where torch's float32 and float64 happen to coincide almost exactly
//   (d32 ≈ 1e-8): a handful of float32 roundings (2⁻²⁴ ≈ 6e-8 each) must still pass.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainer, type TrainerSpec } from '../src/index.js';
import { FLOOR, K, relArray, relEach } from './reference/golden.js';
import { BUILDS, type Build } from './reference/builds.js';


interface Result {
  weights: Record<string, number[]>;
  losses: number[];
  lrs: number[];
  evaluate: number;
  predict: number[];
}

interface GoldenCase {
  name: string;
  note?: string;
  seed: number;
  spec: TrainerSpec;
  rows: number;
  targets: 'index' | 'float';
  x: number[];
  y: number[];
  initialWeights: Record<string, number[]>;
  fit: { epochs: number; batchSize: number; classWeight?: Record<string, number> | number[] };
  float64: Result;
  float32: Result;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/torch/golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };

/** Error of `a` against the reference `r`, per quantity (same metric as generate.py's distance()). */
function errors(a: Result, r: Result): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(r.weights)) out[`weight ${name}`] = relArray(a.weights[name] ?? [], r.weights[name]!);
  out['epoch losses'] = relEach(a.losses, r.losses);
  out['epoch lrs'] = relEach(a.lrs, r.lrs);
  out['evaluate loss'] = relEach([a.evaluate], [r.evaluate]);
  out.predict = relArray(a.predict, r.predict);
  return out;
}

const worst = (e: Record<string, number>) => Math.max(...Object.values(e));

/** Trains the case in descent and reports what the golden file recorded. */
async function runDescent(c: GoldenCase, build: Build): Promise<Result & { stopReason?: string; epochs: number; again: { evaluate: number; predict: number[] } }> {
  const trainer = await createTrainer(c.spec, { worker: false, build });
  try {
    expect(trainer.info.build).toBe(build);
    trainer.setWeights(c.initialWeights);
    const x = Float32Array.from(c.x);
    const y = c.targets === 'index' ? Int32Array.from(c.y) : Float32Array.from(c.y);
    let losses: number[] = [];
    let lrs: number[] = [];
    let stopReason: string | undefined;
    if (c.fit.epochs > 0) {
      const history = await trainer.fit(x, y, {
        epochs: c.fit.epochs, batchSize: c.fit.batchSize, shuffle: false,
        ...(c.fit.classWeight === undefined ? {} : { classWeight: c.fit.classWeight }),
      });
      stopReason = history.stopReason;
      losses = history.epochs.map((e) => e.loss);
      lrs = history.epochs.map((e) => e.lr);
    }
    const weights = Object.fromEntries(Object.entries(trainer.getWeights()).map(([k, v]) => [k, Array.from(v)]));
    const evaluation = await trainer.evaluate(x, y);
    const predict = await trainer.predict(x);
    // inference twice: dropout is the identity outside fit, so the same numbers, bit for bit
    const again = { evaluate: (await trainer.evaluate(x, y)).loss, predict: Array.from(await trainer.predict(x)) };
    return { weights, losses, lrs, evaluate: evaluation.loss, predict: Array.from(predict), stopReason, epochs: losses.length, again };
  } finally {
    await trainer.dispose();
  }
}

const seen: { name: string; build: string; error: number; tol: number; d32: number }[] = [];

describe.each(BUILDS)('golden vs torch (%s build)', (build) => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const d32 = worst(errors(c.float32, c.float64));
    const tol = Math.max(K * d32, FLOOR);
    const got = await runDescent(c, build);
    if (c.fit.epochs > 0) {
      expect(got.stopReason).toBe('completed');
      expect(got.epochs).toBe(c.fit.epochs);
    }
    expect(got.again.evaluate).toBe(got.evaluate);
    expect(got.again.predict).toEqual(got.predict);
    const e = errors(got, c.float64);
    seen.push({ name: c.name, build, error: worst(e), tol, d32 });
    const over = Object.entries(e).filter(([, v]) => !(v <= tol));
    const detail = over.map(([quantity, v]) => {
      const show = (r: Result) => quantity === 'epoch losses' ? r.losses : quantity === 'epoch lrs' ? r.lrs
        : quantity === 'evaluate loss' ? r.evaluate : quantity === 'predict' ? r.predict.slice(0, 6)
          : r.weights[quantity.slice(7)]!.slice(0, 6);
      return `${quantity}: error ${v.toExponential(2)} > tol ${tol.toExponential(2)} (d32 ${d32.toExponential(2)})\n` +
        `  descent: ${JSON.stringify(show(got))}\n  torch64: ${JSON.stringify(show(c.float64))}`;
    });
    if (over.length > 0) expect.unreachable(`${c.name} (${build})\n${detail.join('\n')}`);
  });
});

afterAll(() => {
  // GOLDEN_TORCH_REPORT=path writes each case's error, tolerance and d32 (for reviewing K).
  const path = process.env.GOLDEN_TORCH_REPORT;
  if (path) {
    const lines = seen.map((s) => `${s.error.toExponential(2)}\t${s.tol.toExponential(2)}\t${(s.error / s.d32).toFixed(2)}\t${s.build}\t${s.name}`);
    writeFileSync(path, `error\ttol\terror/d32\tbuild\tcase\n${lines.join('\n')}\n`);
  }
});
