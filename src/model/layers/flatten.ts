// Flatten: a row of any shape as one flat vector, so a dense layer can follow. 'channelsLast' (the
// default) keeps descent's (H, W, C) order and the values do not move: forward and backward copy
// them through. 'channelsFirst' writes (C, H, W) order, as torch's nn.Flatten does on NCHW, so a
// CNN trained in PyTorch imports as it is; forward and backward transpose each row's [positions, C].

import { choiceOption, knownKeys } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, copyFloats, type ForwardArgs, type Layer, sizeOf } from './layer.js';

export const FLATTEN_DATA_FORMATS = ['channelsLast', 'channelsFirst'] as const;
export type FlattenDataFormat = (typeof FLATTEN_DATA_FORMATS)[number];

export interface FlattenLayerSpec {
  type: 'flatten';
  /** 'channelsLast' (default): (H, W, C) order; 'channelsFirst': (C, H, W), torch's nn.Flatten of NCHW. */
  dataFormat?: FlattenDataFormat;
}

export class FlattenLayer implements Layer {
  readonly type = 'flatten';
  readonly tensors = [];
  readonly buffers = {};
  readonly label: string;
  readonly activation = '';
  readonly inputSize: number;
  readonly outputShape: readonly number[];
  /** Positions (all axes but the last) and channels of a row: the transpose's two sides (1 position: no transpose). */
  readonly #positions: number;
  readonly #channels: number;
  /** Whether the values move: channels-first order over a row with several positions and several channels. */
  readonly #transposes: boolean;

  constructor(readonly index: number, readonly inputShape: readonly number[], readonly dataFormat: FlattenDataFormat = 'channelsLast') {
    this.inputSize = sizeOf(inputShape);
    this.outputShape = [this.inputSize];
    this.#channels = inputShape.length > 1 ? inputShape.at(-1)! : 1;
    this.#positions = this.inputSize / this.#channels;
    this.#transposes = dataFormat === 'channelsFirst' && this.#positions > 1 && this.#channels > 1;
    this.label = dataFormat === 'channelsFirst' ? 'flatten(channelsFirst)' : 'flatten';
  }

  get outputSize(): number {
    return this.inputSize;
  }

  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): FlattenLayer {
    knownKeys(path, spec, ['type', 'dataFormat']);
    const dataFormat = spec.dataFormat === undefined ? 'channelsLast' : choiceOption(`${path}.dataFormat`, spec.dataFormat, FLATTEN_DATA_FORMATS);
    return new FlattenLayer(index, inputShape, dataFormat);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out }: ForwardArgs): void {
    if (this.#transposes) k.transpose_rows_f32(x, out, rows, this.#positions, this.#channels);
    else copyFloats(k, x, out, rows * this.inputSize);
  }

  backward(k: KernelExports, { rows, dOut, dx }: BackwardArgs): void {
    if (!dx) return;
    if (this.#transposes) k.transpose_rows_f32(dOut, dx, rows, this.#channels, this.#positions);
    else copyFloats(k, dOut, dx, rows * this.inputSize);
  }
}
