// Batch normalisation with torch's semantics (nn.BatchNorm1d on [n] and [T, C] rows, BatchNorm2d on
// [H, W, C]) over the channel (last) axis of channels-last rows. A training pass normalises each
// channel with the batch's mean and biased variance over every row and position, and moves the
// running statistics towards the batch's: running = (1 − momentum)·running + momentum·batch, the
// variance's from the unbiased batch variance, num_batches_tracked + 1. Inference passes (predict,
// evaluate, validation) use the running statistics. weight (ones) and bias (zeros) are trained;
// running_mean (zeros), running_var (ones) and num_batches_tracked (I64) are states.
//
// The running statistics move in the forward pass, as in torch: once per optimizer step, since a
// training step runs one forward per batch. A step the NaN guard skips has still moved them (torch
// too). Data-parallel chunks would each normalise with their own chunk's statistics: the trainer
// refuses batchnorm with workers > 1.

import type { Graph, ParamConstant, Value } from '../../interop/onnx-graph.js';
import { knownKeys, numberOption } from '../../validate.js';
import type { KernelExports } from '../../wasm/exports.js';
import { type BackwardArgs, type ForwardArgs, type Layer, shapeText, sizeOf, type StateSpec, type TensorSpec } from './layer.js';

export interface BatchNormLayerSpec {
  type: 'batchnorm';
  /** Weight of the batch statistics in the running ones (torch's default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (torch's default 1e-5). */
  eps?: number;
}

export class BatchNormLayer implements Layer {
  readonly type = 'batchnorm';
  readonly activation = '';
  readonly label = 'batchnorm';
  readonly inputSize: number;
  readonly tensors: TensorSpec[];
  readonly states: StateSpec[];
  /**
   * The pass's per-channel mean and rstd (batch statistics in training, kept for the backward pass;
   * running ones at inference): 2·C floats. Buffers are sized per row and every pass has at least
   * one row, so 2·C per row always holds them.
   */
  readonly buffers: Record<string, number>;
  /** Positions per row (the product of the shape but its last axis). */
  readonly positions: number;
  readonly channels: number;

  constructor(readonly index: number, readonly inputShape: readonly number[], readonly momentum: number, readonly eps: number) {
    this.inputSize = sizeOf(inputShape);
    this.channels = inputShape.at(-1)!;
    this.positions = this.inputSize / this.channels;
    const C = this.channels;
    this.tensors = [
      { name: 'weight', shape: [C], init: 'ones', fanIn: C, fanOut: C, l1: 0, l2: 0 },
      { name: 'bias', shape: [C], init: 'zeros', fanIn: C, fanOut: C, l1: 0, l2: 0 },
    ];
    this.states = [
      { name: 'running_mean', shape: [C], initial: 0, dtype: 'f32' },
      { name: 'running_var', shape: [C], initial: 1, dtype: 'f32' },
      { name: 'num_batches_tracked', shape: [], initial: 0, dtype: 'i64' },
    ];
    this.buffers = { statistics: 2 * C };
  }

  get outputShape(): readonly number[] {
    return this.inputShape;
  }

  get outputSize(): number {
    return this.inputSize;
  }

  static fromSpec(spec: Record<string, unknown>, path: string, index: number, inputShape: readonly number[]): BatchNormLayer {
    knownKeys(path, spec, ['type', 'momentum', 'eps']);
    const momentum = numberOption(`${path}.momentum`, spec.momentum, 0.1, { min: 0, max: 1 });
    const eps = numberOption(`${path}.eps`, spec.eps, 1e-5, { min: 0, minExclusive: true });
    return new BatchNormLayer(index, inputShape, momentum, eps);
  }

  gemmScratchFloats(): number {
    return 0;
  }

  forward(k: KernelExports, { x, rows, out, buffers, params, states, training, trainable }: ForwardArgs): void {
    const C = this.channels;
    const count = rows * this.positions;
    const mean = buffers.statistics!;
    const rstd = mean + 4 * C;
    // frozen: the running statistics, as at inference, and they do not move (Keras)
    if (!training || !trainable) {
      k.batchnorm_rstd_f32(states[1]!, C, this.eps, rstd);
      k.batchnorm_apply_f32(x, count, C, states[0]!, rstd, params[0]!, params[1]!, out);
      return;
    }
    if (count < 2) {
      // torch refuses it too: one value per channel has no variance (and no unbiased one)
      throw new RangeError(
        `layers[${this.index}] (batchnorm) needs more than one value per channel in training, got a batch of ${rows} row of shape ${shapeText(this.inputShape)}`,
      );
    }
    k.batchnorm_stats_f32(x, count, C, mean, rstd);
    k.batchnorm_running_f32(mean, rstd, C, count, this.momentum, this.eps, states[0]!, states[1]!, states[2]!);
    k.batchnorm_apply_f32(x, count, C, mean, rstd, params[0]!, params[1]!, out);
  }

  /**
   * The backward of a training pass (batch statistics); backward never follows an inference pass.
   * Frozen, the layer is a per-channel affine map of the running statistics: dx = dy·rstd·weight.
   */
  backward(k: KernelExports, { x, rows, buffers, params, dOut, dx, grads, trainable }: BackwardArgs): void {
    const C = this.channels;
    const mean = buffers.statistics!;
    if (trainable) k.batchnorm_backward_f32(x, dOut, rows * this.positions, C, mean, mean + 4 * C, params[0]!, grads[0]!, grads[1]!, dx);
    else if (dx) k.channel_scale_f32(dOut, rows * this.positions, C, mean + 4 * C, params[0]!, dx);
  }

  onnx(g: Graph, [v]: readonly Value[], param: ParamConstant): Value {
    const x = g.channelsFirst(v!);
    const inputs = [x.name, ...['weight', 'bias', 'running_mean', 'running_var'].map((name) => param(name))];
    return { ...x, name: g.op('BatchNormalization', inputs, { epsilon: { float: this.eps } }) };
  }
}
