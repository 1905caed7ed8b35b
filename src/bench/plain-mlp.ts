// A 784-128-10-style ReLU MLP with softmax cross-entropy and Adam in plain JavaScript over
// Float32Arrays: the baseline a developer would write without a library (benchmarks only).
// Parameters use descent's flat layout (`0.weight` [hidden, inputs], `0.bias`, `1.weight`
// [classes, hidden], `1.bias`) and torch's Adam, so both start from the same weights.

import { gemmNN, gemmNT, gemmTN } from './plain-gemm.js';
import { plainLoss } from './plain-loss.js';

export interface PlainMlpConfig {
  inputs: number;
  hidden: number;
  classes: number;
  batchSize: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class PlainMlp {
  readonly config: PlainMlpConfig;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  step = 0;
  readonly #w1: Float32Array; readonly #b1: Float32Array; readonly #w2: Float32Array; readonly #b2: Float32Array;
  readonly #dw1: Float32Array; readonly #db1: Float32Array; readonly #dw2: Float32Array; readonly #db2: Float32Array;
  readonly #hiddenOut: Float32Array;
  readonly #logits: Float32Array;
  readonly #dLogits: Float32Array;
  readonly #dHidden: Float32Array;

  /** `weights` by checkpoint name (copied). */
  constructor(weights: Record<string, Float32Array>, config: PlainMlpConfig) {
    const { inputs, hidden, classes, batchSize } = config;
    this.config = config;
    const sizes = [hidden * inputs, hidden, classes * hidden, classes];
    const total = sizes.reduce((a, b) => a + b, 0);
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);
    this.#m = new Float32Array(total);
    this.#v = new Float32Array(total);
    const views = (array: Float32Array) => {
      let offset = 0;
      return sizes.map((size) => array.subarray(offset, (offset += size))) as [Float32Array, Float32Array, Float32Array, Float32Array];
    };
    [this.#w1, this.#b1, this.#w2, this.#b2] = views(this.params);
    [this.#dw1, this.#db1, this.#dw2, this.#db2] = views(this.grads);
    for (const [view, name] of [[this.#w1, '0.weight'], [this.#b1, '0.bias'], [this.#w2, '1.weight'], [this.#b2, '1.bias']] as const) {
      view.set(weights[name]!);
    }
    this.#hiddenOut = new Float32Array(batchSize * hidden);
    this.#logits = new Float32Array(batchSize * classes);
    this.#dLogits = new Float32Array(batchSize * classes);
    this.#dHidden = new Float32Array(batchSize * hidden);
  }

  /** One Adam step on rows [start, start + rows) of x (rows × inputs) and labels y; returns the batch loss. */
  trainStep(x: Float32Array, y: Int32Array, start: number, rows: number): number {
    const { inputs, hidden, classes } = this.config;
    const X = x.subarray(start * inputs, (start + rows) * inputs);
    const H = this.#hiddenOut.subarray(0, rows * hidden);
    const Z = this.#logits.subarray(0, rows * classes);
    const dZ = this.#dLogits.subarray(0, rows * classes);
    const dH = this.#dHidden.subarray(0, rows * hidden);
    gemmNT(X, this.#w1, H, rows, inputs, hidden);
    for (let i = 0; i < H.length; i++) H[i] = Math.max(0, H[i]! + this.#b1[i % hidden]!);
    gemmNT(H, this.#w2, Z, rows, hidden, classes);
    for (let i = 0; i < Z.length; i++) Z[i]! += this.#b2[i % classes]!;
    const loss = plainLoss({ kind: 'loss', name: 'mlp', loss: 'softmax_cross_entropy', rows, cols: classes }, Z, y.subarray(start, start + rows), dZ);
    gemmTN(dZ, H, this.#dw2, classes, rows, hidden);
    columnSums(dZ, rows, classes, this.#db2);
    gemmNN(dZ, this.#w2, dH, rows, classes, hidden);
    for (let i = 0; i < dH.length; i++) if (H[i]! <= 0) dH[i] = 0;
    gemmTN(dH, X, this.#dw1, hidden, rows, inputs);
    columnSums(dH, rows, hidden, this.#db1);
    this.#adam();
    return loss;
  }

  #adam(): void {
    const { learningRate, beta1, beta2, epsilon } = this.config;
    this.step++;
    const stepSize = learningRate / (1 - beta1 ** this.step);
    const sqrtBc2 = Math.sqrt(1 - beta2 ** this.step);
    const p = this.params, g = this.grads, m = this.#m, v = this.#v;
    for (let i = 0; i < p.length; i++) {
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
      p[i]! -= (stepSize * m[i]!) / (Math.sqrt(v[i]!) / sqrtBc2 + epsilon);
    }
  }

  /** One epoch over `rows` rows in order. */
  epoch(x: Float32Array, y: Int32Array, rows: number): void {
    for (let start = 0; start < rows; start += this.config.batchSize) this.trainStep(x, y, start, Math.min(this.config.batchSize, rows - start));
  }

  weights(): Record<string, Float32Array> {
    return { '0.weight': this.#w1.slice(), '0.bias': this.#b1.slice(), '1.weight': this.#w2.slice(), '1.bias': this.#b2.slice() };
  }
}

function columnSums(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j]! += a[r * cols + j]!;
}
