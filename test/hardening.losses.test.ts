// Hostile input to k.loss (fast-check, seeded): random names, shapes, options and values — NaN,
// ±Infinity, subnormals, ±3e38, values that overflow float32, empty, ragged, mismatched, freed,
// foreign and wrongly typed arrays. Every call either returns a well-formed result (equal to the
// float64 reference where the inputs are ordinary) or throws a TypeError/RangeError that names the
// argument; never a raw WASM trap or a JavaScript slip, never a changed input, never a leak.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Kernels, loadKernels, LOSS_NAMES, type LossName, type WasmArray } from '../src/index.js';
import { RAW_FAILURE } from './fixtures/hardening.js';
import { referenceLoss } from './reference/losses.js';
import { BUILDS } from './reference/builds.js';

const ARGUMENT = /\b(input|target|shape|options?|reduction|grad|out|delta|beta|alpha|scale|weight|posWeight|ignoreIndex|labelSmoothing|loss name)\b/;

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, 1.4e-45, -1.4e-45, 1e-40, -1e-40, 1.17549435e-38,
  3e38, -3e38, 3.4028234663852886e38, 1e39, -1e39, 1e300, 7, -7, 0.999, 1e-7];
const value = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 3, arbitrary: fc.double({ min: -20, max: 20, noNaN: true }) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 12 }) },
);

/** How an array argument is presented; built inside the property, where a kernels instance exists. */
type Form = 'f32' | 'f64' | 'array' | 'nested' | 'ragged' | 'sparse' | 'wasm' | 'wasm-freed' | 'wasm-i32' | 'wasm-foreign' | 'i32' | 'u8' | 'junk';
interface ArrayPlan { form: Form; values: number[]; cols: number; junk: unknown }
const JUNK: unknown[] = ['abc', '', null, undefined, 5, true, {}, { length: 4 }, [[]], [1, 'a'], [[1, 2], [3, '4']], new DataView(new ArrayBuffer(8)),
  Symbol('s'), 10n, () => 1, new Map(), Object.create(null), new Float32Array(0), [], new Int32Array(0), JSON.parse('{"__proto__": {"length": 3}}')];

const arrayPlan = (length: fc.Arbitrary<number>): fc.Arbitrary<ArrayPlan> => fc.record({
  form: fc.constantFrom<Form>('f32', 'f32', 'f64', 'array', 'nested', 'ragged', 'sparse', 'wasm', 'wasm-freed', 'wasm-i32', 'wasm-foreign', 'i32', 'i32', 'u8', 'junk'),
  values: length.chain((n) => fc.array(value, { minLength: n, maxLength: n })),
  cols: fc.integer({ min: 1, max: 6 }),
  junk: fc.constantFrom(...JUNK),
});

function build(plan: ArrayPlan, k: Kernels, foreign: Kernels, owned: WasmArray[]): unknown {
  const { values } = plan;
  const wasm = (kernels: Kernels, type: 'f32' | 'i32') => {
    const a = kernels.alloc(values.length, type);
    a.array.set(values.map((v) => (type === 'i32' ? Math.trunc(Number.isFinite(v) ? v : 0) : v)));
    owned.push(a);
    return a;
  };
  switch (plan.form) {
    case 'f32': return Float32Array.from(values);
    case 'f64': return Float64Array.from(values);
    case 'array': return values.slice();
    case 'nested':
    case 'ragged': {
      const rows: number[][] = [];
      for (let i = 0; i < values.length; i += plan.cols) rows.push(values.slice(i, i + plan.cols));
      if (plan.form === 'ragged' && rows.length > 1) rows[rows.length - 1]!.push(1);
      return rows;
    }
    case 'sparse': {
      const holes = values.slice();
      if (holes.length > 1) delete holes[1];
      return holes;
    }
    case 'wasm': return wasm(k, 'f32');
    case 'wasm-freed': {
      const a = wasm(k, 'f32');
      a.free();
      return a;
    }
    case 'wasm-i32': return wasm(k, 'i32');
    case 'wasm-foreign': return wasm(foreign, 'f32');
    case 'i32': return Int32Array.from(values.map((v) => (Number.isFinite(v) ? Math.trunc(v) % 2 ** 31 : -1)));
    case 'u8': return Uint8Array.from(values.map((v) => Math.abs(v) % 256));
    case 'junk': return plan.junk;
  }
}

const OPTION_VALUES: Record<string, unknown[]> = {
  reduction: ['mean', 'sum', 'none', 'avg', 1, null, ''],
  grad: [true, false, 'yes', 0, null],
  delta: [1, 0.5, 0, -1, NaN, Infinity, 1e-45, 1e-320, 1e300, '1', null],
  beta: [1, 0, 0.25, -0.5, NaN, Infinity, 1e-45, '1'],
  alpha: [1, 2, 0, -Infinity, Infinity, NaN, 1e-7, -1e-45, -5, 1e300, '1'],
  scale: [1, 0.1, 0, -1, NaN, Infinity, 1e-45, 1e300],
  ignoreIndex: [-100, 0, 1, 0.5, NaN, 2 ** 31, -(2 ** 31), 2 ** 53, '1', null],
  labelSmoothing: [0, 0.1, 1, -0.1, 1.1, NaN, Infinity, '0.1'],
  delt: [1], constructor: [1], toString: [1], valueOf: [() => 1],
};
type OptionPlan = { keys: Record<string, unknown>; shape: number | null; out: number | null; weight: number | null; posWeight: number | null; proto: boolean };
const optionPlan: fc.Arbitrary<OptionPlan | 'junk'> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('junk' as const) },
  {
    weight: 12,
    arbitrary: fc.record({
      keys: fc.dictionary(fc.constantFrom(...Object.keys(OPTION_VALUES)), fc.nat(), { maxKeys: 3 })
        .map((d) => Object.fromEntries(Object.entries(d).map(([key, i]) => [key, OPTION_VALUES[key]![i % OPTION_VALUES[key]!.length]]))),
      shape: fc.option(fc.nat(12), { freq: 2 }),
      out: fc.option(fc.nat(5), { freq: 4 }),
      weight: fc.option(fc.nat(6), { freq: 3 }),
      posWeight: fc.option(fc.nat(6), { freq: 4 }),
      proto: fc.boolean(),
    }),
  },
);

function buildOptions(plan: OptionPlan | 'junk', n: number, k: Kernels, owned: WasmArray[], cols: number): unknown {
  if (plan === 'junk') return 7;
  const o: Record<string, unknown> = { ...plan.keys };
  const divisors = Array.from({ length: Math.max(n, 1) }, (_, i) => i + 1).filter((d) => n % d === 0);
  if (plan.shape !== null) {
    const shapes: unknown[] = [[n / cols, cols], [1, n], [n, 1], [0, n], [n], [-1, -n], [1.5, 2], 'x', [NaN, NaN], [Infinity, 0], [2 ** 31, 2 ** 31], [n, 1, 1]];
    const d = divisors[plan.shape % divisors.length]!;
    o.shape = plan.shape % 3 === 0 && Number.isInteger(n / d) ? [n / d, d] : shapes[plan.shape % shapes.length];
  }
  if (plan.out !== null) {
    const forms = [() => { const a = k.alloc(n); owned.push(a); return a; }, () => { const a = k.alloc(n + 1); owned.push(a); return a; },
      () => { const a = k.alloc(n, 'i32'); owned.push(a); return a; }, () => new Float32Array(n), () => { const a = k.alloc(n); a.free(); return a; }, () => 'out'];
    o.out = forms[plan.out % forms.length]!();
  }
  const weights = (i: number) => [new Float32Array(cols).fill(2), Array(n).fill(0.5), [1, NaN, -1], new Float64Array([Infinity, 1, 1, 1, 1, 1]), 'w', Int32Array.of(1, 1), [[1, 2]]][i];
  if (plan.weight !== null) o.weight = weights(plan.weight);
  if (plan.posWeight !== null) o.posWeight = weights(plan.posWeight);
  // An own "__proto__" key (as JSON.parse makes), which must count as an unknown option, not a prototype.
  return plan.proto ? Object.assign(JSON.parse('{"__proto__": {"delta": -1}}'), o) : o;
}

const NAME = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<unknown>(...LOSS_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('MSE', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty', null, undefined, 5, {}, ['mse']) },
);

interface Call { sane: boolean; name: unknown; input: ArrayPlan; targetLength: number; target: ArrayPlan; options: OptionPlan | 'junk' | null }
const CALL: fc.Arbitrary<Call> = fc.record({
  // half the calls use a documented form of every argument (values still hostile), so that results are checked too
  sane: fc.boolean(),
  name: NAME,
  input: arrayPlan(fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 8, arbitrary: fc.integer({ min: 1, max: 24 }) })),
  targetLength: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 24 }) }),
  target: arrayPlan(fc.constant(0)),
  options: fc.option(optionPlan, { freq: 6 }),
});

/** Number of values of a float argument (nested rows flattened). */
function lengthOf(value: unknown): number {
  if (Array.isArray(value) && Array.isArray(value[0])) return value.flat().length;
  return value !== null && typeof value === 'object' && 'length' in value ? Number((value as { length: unknown }).length) : NaN;
}

/** Runs one call and checks its outcome; returns 'ok' or 'refused'. */
function check(k: Kernels, foreign: Kernels, c: Call): 'ok' | 'refused' {
  const owned: WasmArray[] = [];
  if (c.sane) {
    const name = LOSS_NAMES.includes(c.name as LossName) ? (c.name as LossName) : 'mse';
    const index = name === 'nll' || (name === 'softmax_cross_entropy' && c.target.form === 'i32');
    const forms: Form[] = ['f32', 'f64', 'array', 'nested', 'wasm'];
    const pick = (plan: ArrayPlan) => forms[plan.values.length % forms.length]!;
    const keep = c.options !== null && c.options !== 'junk' ? { reduction: c.options.keys.reduction, grad: c.options.keys.grad } : {};
    c = {
      ...c, name, targetLength: -1,
      input: { ...c.input, form: pick(c.input), cols: c.input.values.length % c.input.cols === 0 ? c.input.cols : 1 },
      target: { ...c.target, form: index ? 'i32' : pick(c.input) === 'nested' ? 'nested' : 'f32' },
      options: c.options === null || c.options === 'junk' ? null : { keys: keep, shape: null, out: c.options.out, weight: null, posWeight: null, proto: false },
    };
  }
  try {
    const input = build(c.input, k, foreign, owned);
    const n = c.input.values.length;
    const targetValues = c.targetLength === -1 ? n : c.targetLength;
    const name = c.name as LossName;
    // class-index losses mostly get labels (rows of a [rows, cols] input), so that valid calls happen
    const indexLoss = name === 'nll' || (name === 'softmax_cross_entropy' && c.target.form === 'i32');
    const rows = indexLoss && n % c.input.cols === 0 ? n / c.input.cols : targetValues;
    const targetPlan = { ...c.target, values: Array.from({ length: rows }, (_, i) => c.input.values[(i * 7) % Math.max(n, 1)] ?? i) };
    if (indexLoss) targetPlan.values = targetPlan.values.map((v, i) => (Number.isFinite(v) ? Math.abs(Math.trunc(v)) % (c.input.cols + 1) : i === 0 ? -100 : 0));
    const target = build(targetPlan, k, foreign, owned);
    const options = c.options === null ? undefined : buildOptions(c.options, n, k, owned, c.input.cols);
    const snapshot = [input, target].map((a) => (ArrayBuffer.isView(a) ? Array.from(a as Float32Array) : Array.isArray(a) ? JSON.stringify(a) : a));

    let result: ReturnType<Kernels['loss']>;
    try {
      result = k.loss(name, input, target, options as never);
    } catch (error) {
      expect(error instanceof TypeError || error instanceof RangeError, `${String(error)}`).toBe(true);
      expect((error as Error).message).not.toMatch(RAW_FAILURE);
      expect((error as Error).message).toMatch(ARGUMENT);
      return 'refused';
    } finally {
      // inputs are never modified, whatever happens
      [input, target].forEach((a, i) => {
        if (ArrayBuffer.isView(a)) expect(Array.from(a as Float32Array)).toEqual(snapshot[i]);
        else if (Array.isArray(a)) expect(JSON.stringify(a)).toBe(snapshot[i]);
      });
    }

    // A result: well-formed, and right where the inputs are ordinary.
    const reduction = (options as { reduction?: string } | undefined)?.reduction ?? 'mean';
    const wantGrad = (options as { grad?: boolean } | undefined)?.grad ?? true;
    if (reduction === 'none') expect(result.value).toBeInstanceOf(Float32Array);
    else expect(typeof result.value).toBe('number');
    if (wantGrad) {
      expect(result.grad).toBeInstanceOf(Float32Array);
      expect(result.grad!.length).toBe(lengthOf(input));
    } else {
      expect(result.grad).toBeNull();
    }
    const plain = (a: unknown) => (a instanceof Float32Array || a instanceof Float64Array ? Array.from(a) : Array.isArray(a) ? (Array.isArray(a[0]) ? (a as number[][]).flat() : Array.from(a as number[])) : null);
    // the kernels see float32 values (5e-324 is 0 there: a hinge target of −1)
    const [x, y] = [plain(input), plain(target)].map((a) => a && a.map((v) => (typeof v === 'number' ? Math.fround(v) : v)));
    // (a hole in a sparse array reads as undefined: it is copied as NaN, which propagates)
    const ordinary = (a: number[] | null) => a !== null && Array.from(a).every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 1e3);
    const optionKeys = Object.keys((options as object | undefined) ?? {}).filter((key) => (options as Record<string, unknown>)[key] !== undefined);
    if (['mse', 'mae', 'huber', 'smooth_l1', 'log_cosh', 'hinge', 'squared_hinge'].includes(name) && ordinary(x) && ordinary(y) &&
      optionKeys.every((key) => ['reduction', 'grad', 'shape', 'delta', 'beta'].includes(key))) {
      const o = options as { delta?: number; beta?: number } | undefined;
      const ref = referenceLoss(name, x!, y!, { rows: x!.length, cols: 1, delta: o?.delta ?? 1, beta: o?.beta ?? 1 });
      const sum = ref.items.reduce((a, b) => a + b, 0);
      const scale = ref.items.reduce((a, b) => a + Math.abs(b), 0) + 1e-6;
      const got = reduction === 'none' ? Array.from(result.value as Float32Array).reduce((a, b) => a + b, 0) : (result.value as number);
      const want = reduction === 'mean' ? sum / x!.length : sum;
      expect(Math.abs(got - want), `${name} ${reduction}`).toBeLessThanOrEqual(1e-4 * (reduction === 'mean' ? scale / x!.length : scale) + 1e-6);
    }
    return 'ok';
  } finally {
    for (const a of owned) a.free();
  }
}

describe.each(BUILDS)('hostile k.loss calls (%s build)', (build) => {
  it('give a well-formed result or a TypeError/RangeError naming the argument; nothing changed or leaked', async () => {
    const k = await loadKernels({ build });
    const foreign = await loadKernels({ build });
    const outcomes = { ok: 0, refused: 0 };
    const run = () => fc.assert(fc.property(CALL, (c) => { outcomes[check(k, foreign, c)]++; }), { numRuns: 1500, seed: 9 });
    run();
    // the same 1 500 calls again: a failed or successful call that leaked would grow memory now
    const settled = k.memory.buffer.byteLength;
    run();
    expect(k.memory.buffer.byteLength).toBe(settled);
    // both outcomes are exercised in earnest
    expect(outcomes.ok).toBeGreaterThan(300);
    expect(outcomes.refused).toBeGreaterThan(300);
    expect(k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]).value).toBeCloseTo(0.068, 6);
  });
});

describe('loss limits', () => {
  it('an input above the 1 GiB block cap is refused before anything is allocated (an untouched view, no GBs used)', async () => {
    const k = await loadKernels();
    const before = k.memory.buffer.byteLength;
    // calloc'd and never touched: virtual memory only
    const huge = new Float32Array(2 ** 28);
    expect(() => k.loss('mse', huge, huge)).toThrow(/input must be at most 268435452 elements \(one WASM block is capped at 1 GiB\), got 268435456/);
    expect(() => k.alloc(2 ** 28)).toThrow(RangeError);
    expect(k.memory.buffer.byteLength).toBe(before);
  });

  it('memory.grow failure (wasm32 stops at 4 GiB) is reported as such, and the instance keeps working', async () => {
    const k = await loadKernels();
    // Three blocks just under 1 GiB each: memory grows (virtually: nothing is written) to ~3 GiB.
    const blocks = [k.alloc(2 ** 28 - 4), k.alloc(2 ** 28 - 4), k.alloc(2 ** 28 - 4)];
    let error: unknown;
    try {
      k.alloc(2 ** 28 - 4);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/could not allocate 1073741808 bytes of WASM memory: memory.grow failed/);
    expect((error as Error).message).not.toMatch(RAW_FAILURE);
    expect(k.loss('mse', [0.8, 1.9, 2.8, 3.7, 4.6], [1, 2, 3, 4, 5]).value).toBeCloseTo(0.068, 6);
    for (const b of blocks) b.free();
    const again = k.alloc(2 ** 28 - 4); // freed blocks are reused: no growth needed
    expect(again.length).toBe(2 ** 28 - 4);
    again.free();
  });
});
