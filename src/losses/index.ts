// Losses: one record per loss (records.ts), one validator for its options (options.ts), a loss bound
// once for the hot path (bound.ts), and `k.loss` (compute.ts).

export { LOSS_NAMES, LOSSES, type LossName, type LossRecord, type Reduction, takesClassIndices } from './records.js';
export { checkLossOptionKeys, COMMON_OPTIONS, type LossOptions, lossOptionValues, type LossValues } from './options.js';
export type { FloatInput, IndexInput } from './inputs.js';
export { BoundLoss } from './bound.js';
export { computeLoss, computeLossParts, type LossResult, type LossResultOf } from './compute.js';
