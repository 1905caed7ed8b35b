// Convergence table in the style of optax's alias_test: every optimizer, at a learning rate that
// suits it, drives a convex quadratic and the 2-D Rosenbrock function below a threshold within a
// bounded number of steps, on every build (relaxed, simd, scalar). The gradients are computed in plain JS and written into
// the gradient buffer each step: this tests the optimizers, not a model. Each threshold sits at least
// 5× above the value its row ends at (above the whole band where an optimizer hovers), so it catches
// a broken update, not a change in the last bits.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../src/index.js';
import { optimizerFromSpec } from '../src/optim/optimizers.js';
import type { Segment } from '../src/optim/transform.js';
import { Heap } from '../src/wasm/heap.js';
import { BUILDS } from './reference/builds.js';

interface Problem {
  start: readonly number[];
  segments: Segment[];
  value(p: ArrayLike<number>): number;
  /** Writes ∇f(p) into `g`. */
  gradient(p: ArrayLike<number>, g: Float32Array | Int32Array): void;
}

// f(p) = ½ Σ cᵢ pᵢ², cᵢ spread over [1, 10] (condition number 10); minimum 0 at p = 0. Ten
// parameters: two full SIMD lanes plus a tail, split into two tensors for LAMB's per-tensor ratio.
const CURVATURES = Array.from({ length: 10 }, (_, i) => 1 + i);
const quadratic: Problem = {
  start: CURVATURES.map((_, i) => 1.5 * Math.cos(i) + 0.5),
  segments: [{ name: '0.weight', offset: 0, length: 6 }, { name: '0.bias', offset: 6, length: 4 }],
  value: (p) => CURVATURES.reduce((sum, c, i) => sum + 0.5 * c * p[i]! ** 2, 0),
  gradient(p, g) {
    CURVATURES.forEach((c, i) => { g[i] = c * p[i]!; });
  },
};

// f(x, y) = (1 − x)² + 100 (y − x²)², from (−1.5, 2): a curved valley; minimum 0 at (1, 1), where
// the Hessian's eigenvalues are ≈ 1002 and 0.4 (plain SGD is stable only for lr < 2/1002).
const rosenbrock: Problem = {
  start: [-1.5, 2],
  segments: [{ name: '0.weight', offset: 0, length: 2 }],
  value: (p) => (1 - p[0]!) ** 2 + 100 * (p[1]! - p[0]! ** 2) ** 2,
  gradient(p, g) {
    const x = p[0]!, y = p[1]!;
    g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    g[1] = 200 * (y - x * x);
  },
};

/** [learning rate, steps, f must end below]. */
type Budget = [lr: number, steps: number, below: number];

interface Row {
  spec: { name: string; [option: string]: unknown };
  quadratic: Budget;
  rosenbrock: Budget;
}

const TABLE: Row[] = [
  { spec: { name: 'sgd' }, quadratic: [0.1, 300, 1e-10], rosenbrock: [1.5e-3, 5000, 5e-3] },
  { spec: { name: 'sgd', momentum: 0.9 }, quadratic: [0.02, 500, 1e-10], rosenbrock: [1e-3, 2000, 1e-6] },
  { spec: { name: 'sgd', momentum: 0.9, nesterov: true }, quadratic: [0.02, 500, 1e-10], rosenbrock: [1e-3, 2000, 1e-6] },
  { spec: { name: 'adam' }, quadratic: [0.05, 1000, 1e-10], rosenbrock: [0.01, 5000, 1e-6] },
  { spec: { name: 'adam', amsgrad: true }, quadratic: [0.05, 1000, 1e-10], rosenbrock: [0.02, 5000, 1e-6] },
  // AdamW keeps its default weightDecay 0.01, which pulls the optimum slightly towards 0.
  { spec: { name: 'adamw' }, quadratic: [0.05, 1000, 1e-6], rosenbrock: [0.01, 5000, 1e-2] },
  { spec: { name: 'rmsprop' }, quadratic: [0.003, 1500, 1e-10], rosenbrock: [2e-3, 5000, 5e-3] },
  { spec: { name: 'rmsprop', centered: true, momentum: 0.5 }, quadratic: [0.003, 1000, 1e-10], rosenbrock: [1e-3, 5000, 1e-6] },
  { spec: { name: 'adagrad' }, quadratic: [0.3, 500, 1e-10], rosenbrock: [1, 5000, 1e-2] },
  { spec: { name: 'adadelta' }, quadratic: [0.15, 2500, 1e-10], rosenbrock: [0.1, 5000, 5e-2] },
  { spec: { name: 'adamax' }, quadratic: [0.05, 1000, 1e-10], rosenbrock: [0.01, 5000, 1e-6] },
  { spec: { name: 'nadam' }, quadratic: [0.01, 1500, 1e-10], rosenbrock: [0.01, 5000, 1e-3] },
  // Lion moves every coordinate by ±lr each step, so it ends up hovering around the minimum
  // (quadratic: f ≲ ½·Σcᵢ·lr² ≈ 1e-4; Rosenbrock: f between 1e-7 and 1e-3 over the last 1000 steps).
  { spec: { name: 'lion' }, quadratic: [2e-3, 1500, 1e-3], rosenbrock: [1e-3, 5000, 1e-2] },
  // LAMB steps lr·‖p‖ in norm: it crawls where the Rosenbrock path passes the origin, then hovers
  // around (1, 1) with steps of ≈ 0.014 across a valley of curvature 1000 (f between 3e-3 and 0.1 over the last 1000 steps).
  { spec: { name: 'lamb' }, quadratic: [0.01, 1000, 1e-6], rosenbrock: [0.01, 5000, 0.3] },
];

const label = (spec: Row['spec']) => JSON.stringify(spec);

describe.each(BUILDS)('optimizers converge (%s build)', (build) => {
  it.each(TABLE.flatMap((row) => [
    { name: label(row.spec), problem: 'quadratic' as const, row },
    { name: label(row.spec), problem: 'rosenbrock' as const, row },
  ]))('$name on the $problem', async ({ problem: problemName, row }) => {
    const problem = problemName === 'quadratic' ? quadratic : rosenbrock;
    const [lr, steps, below] = row[problemName];
    const k = await loadKernels({ build });
    const heap = new Heap(k.raw);
    const n = problem.start.length;
    const params = heap.alloc(n), grads = heap.alloc(n);
    params.array.set(problem.start);
    const state = optimizerFromSpec(row.spec).init({ heap, params, grads, segments: problem.segments });
    for (let t = 1; t <= steps; t++) {
      problem.gradient(params.array, grads.array);
      state.update(t, lr);
    }
    const value = problem.value(params.array);
    state.free();
    params.free();
    grads.free();
    expect(value, `${label(row.spec)}, lr ${lr}, ${steps} steps: f = ${value}`).toBeLessThan(below);
  });
});
