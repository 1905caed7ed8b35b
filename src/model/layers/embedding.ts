// Embedding, as torch.nn.Embedding: a row of T Int32 token ids becomes [T, units], row t being
// weight[id_t] of the table weight [vocabSize, units]. It reads ids, so it is the first layer (the
// trainer checks every id against [0, vocabSize) per row and position before staging them as i32).
// Init: torch's N(0, 1) (not Keras' uniform(−0.05, 0.05)), drawn from the network's seeded stream
// for this layer; the paddingIdx row starts at zero and never gets a gradient (torch).

import { knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, type ForwardArgs, type Layer, shapeText, type TensorSpec } from './layer.js';

export interface EmbeddingLayerSpec {
  type: 'embedding';
  vocabSize: number;
  units: number;
  /** A token id whose row is initialised to zero and gets no gradient (padding). */
  paddingIdx?: number;
}

export class EmbeddingLayer implements Layer {
  readonly type = 'embedding';
  readonly inputKind = 'index';
  readonly activation = '';
  readonly label = 'embedding';
  readonly buffers = {};
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly tensors: TensorSpec[];

  constructor(
    readonly index: number, readonly positions: number, readonly vocabSize: number, readonly units: number,
    readonly paddingIdx: number | undefined,
  ) {
    this.inputShape = [positions];
    this.outputShape = [positions, units];
    this.tensors = [{
      name: 'weight', shape: [vocabSize, units], init: 'normal', fanIn: vocabSize, fanOut: units, l1: 0, l2: 0,
      ...(paddingIdx === undefined ? {} : { zeroRow: paddingIdx }),
    }];
  }

  get inputSize(): number {
    return this.positions;
  }

  get outputSize(): number {
    return this.positions * this.units;
  }

  /** Ids are in [0, vocabSize). */
  get indexRange(): number {
    return this.vocabSize;
  }

  /** Checks an embedding spec at `path` over rows of `inputShape` ([T] token ids). */
  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): EmbeddingLayer {
    knownKeys(path, spec, ['type', 'vocabSize', 'units', 'paddingIdx']);
    const vocabSize = numberOption(`${path}.vocabSize`, spec.vocabSize, undefined, { min: 1, integer: true });
    const units = numberOption(`${path}.units`, spec.units, undefined, { min: 1, integer: true });
    const paddingIdx = spec.paddingIdx === undefined ? undefined
      : numberOption(`${path}.paddingIdx`, spec.paddingIdx, undefined, { min: 0, max: vocabSize, maxExclusive: true, integer: true });
    if (index > 0) throw new RangeError(`${path} (embedding) reads token ids: it must be the first layer, got it at index ${index}`);
    if (inputShape.length !== 1) {
      throw new RangeError(`${path} (embedding) reads a row of token ids: inputShape must be [T], got ${shapeText(inputShape)}`);
    }
    return new EmbeddingLayer(index, inputShape[0]!, vocabSize, units, paddingIdx);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out, params }: ForwardArgs): void {
    k.embedding_forward_f32(x, rows * this.positions, params[0]!, this.units, out);
  }

  /** The weight's gradient only: the input is ids (dx is never asked of a first layer). */
  backward(k: KernelExports, { x, rows, dOut, grads }: BackwardArgs): void {
    k.embedding_backward_f32(x, rows * this.positions, dOut, this.units, grads[0]!, this.vocabSize, this.paddingIdx ?? -1);
  }
}
