// Public API: re-exports only.
export { loadKernels, Kernels, type LoadOptions } from './wasm/load.js';
export { simdSupported, relaxedSimdSupported, supportedBuilds, BUILDS, type Build } from './wasm/builds.js';
export { WasmArray, type WasmArrayType } from './wasm/heap.js';
export {
  LOSS_NAMES,
  type LossName,
  type LossOptions,
  type LossResult,
  type LossResultOf,
  type Reduction,
  type FloatInput,
  type IndexInput,
} from './losses/index.js';
export { createTrainer, type CreateTrainerOptions } from './train/create.js';
export { WorkerTrainer, type RemoteFitOptions, type WorkerTrainerOptions } from './worker/client.js';
export { toShared, sharedMemoryAvailable } from './worker/shared-memory.js';
export type { FitEvent, FitStream } from './train/fit-stream.js';
export {
  Trainer, type FitOptions, type History, type EpochLog, type BatchLog, type EvaluateResult, type StopReason,
  type EarlyStoppingOptions, type Monitor, type CheckpointOptions, type Features, type Targets, type TrainerMethods, type ParallelProfile,
  type DatasetHandle, type DataOptions, type PredictOptions,
} from './train/trainer.js';
export type { GenerateOptions } from './train/generate.js';
export type { LrFinderOptions, LrFinderResult, LrFinderStep, NoiseScaleOptions, NoiseScaleResult } from './train/trainer.js';
export { ACTIVATIONS, INITIALIZERS } from './model/spec.js';
export { OPTIMIZER_NAMES, DEFAULT_LEARNING_RATE } from './optim/optimizers.js';
// the rule behind every "did you mean" of descent's errors, for tools that check names as descent does (its CLI)
export { closestName } from './validate.js';
export type { TrainerSpec, LayerSpec, DenseLayerSpec, DropoutLayerSpec, ActivationLayerSpec, OptimizerSpec, Activation, Initializer } from './model/spec.js';
export type { PoolLayerSpec, GlobalAvgPoolLayerSpec } from './model/layers/index.js';
export type { EmbeddingLayerSpec, LayerNormLayerSpec, BatchNormLayerSpec } from './model/layers/index.js';
export type { Conv2dLayerSpec, Conv1dLayerSpec, ConvSize } from './model/layers/index.js';
export type { LstmLayerSpec, GruLayerSpec, AttentionLayerSpec, PositionEmbeddingLayerSpec } from './model/layers/index.js';
export type { AddLayerSpec, ConcatLayerSpec, GraphOptions } from './model/layers/index.js';
export { SCHEDULE_NAMES, type LearningRateSpec } from './schedules.js';
export { loadModel, type Predictor } from './train/load-model.js';
export { decodeSafetensors, encodeSafetensors, type SafetensorsFile, type TensorEntry, type DType } from './io/safetensors.js';
export {
  saveCheckpointToBrowser, loadCheckpointFromBrowser, listBrowserCheckpoints, deleteBrowserCheckpoint,
  type BrowserStorage, type BrowserStorageOptions, type BrowserCheckpointInfo,
} from './io/browser-storage.js';
export { importTfjsModel, type TfjsImport } from './interop/tfjs-import.js';
export { exportOnnx, ONNX_OPSET, type ExportOnnxOptions, type OnnxSource } from './interop/onnx-export.js';
