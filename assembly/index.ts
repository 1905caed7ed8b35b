// The module's exports, nothing else.
export { alloc, free, simd_enabled, relaxed_enabled } from './heap';
export { mse_f32, mae_f32, huber_f32, log_cosh_f32, barron_f32, poisson_f32 } from './losses/regression';
export { bce_f32, bce_with_logits_f32, hinge_f32 } from './losses/binary';
export {
  cross_entropy_f32,
  kl_div_f32,
  softmax_cross_entropy_index_f32,
  softmax_cross_entropy_prob_f32,
  nll_f32,
  index_weight_sum_i32,
} from './losses/categorical';
export { gemm_nn_f32, gemm_nt_f32, gemm_tn_f32, gemm_strided_f32, gemm_scratch_floats, gemm_packed_floats, gemm_pack_b_f32, gemm_packed_f32 } from './gemm';
export {
  relu_forward_f32, relu_backward_f32, leaky_relu_forward_f32, leaky_relu_backward_f32,
  sigmoid_forward_f32, sigmoid_backward_f32, tanh_forward_f32, tanh_backward_f32,
  gelu_forward_f32, gelu_backward_f32, softmax_forward_f32, softmax_backward_f32,
} from './activations';
export {
  sgd_f32, adam_f32, rmsprop_f32, adagrad_f32, adadelta_f32, adamax_f32, nadam_f32, lion_f32,
  lamb_direction_f32, sum_squares_f32, clip_value_f32,
} from './optim';
export { subtract_scaled_f32, scale_f32, add_f32, multiply_f32, weighted_sum_f32, weight_penalty_f32 } from './vec';
export { gather_rows_f32, gather_i32, standardize_f32 } from './batch';
export { column_sums_f32 } from './dense';
export { dropout_forward_f32, dropout_key } from './dropout';
export { count_argmax_matches_i32, count_argmax_matches_f32, count_binary_matches_f32, sum_abs_diff_f32 } from './metrics';
export { maxpool_forward_f32, maxpool_backward_f32, avgpool_forward_f32, avgpool_backward_f32, globalavgpool_forward_f32, globalavgpool_backward_f32 } from './layers/pool';
export { embedding_forward_f32, embedding_backward_f32 } from './layers/embedding';
export {
  layernorm_forward_f32, layernorm_backward_f32, batchnorm_stats_f32, batchnorm_running_f32, batchnorm_rstd_f32,
  batchnorm_apply_f32, batchnorm_backward_f32, channel_scale_f32,
} from './layers/norm';
export { conv_scratch_floats, conv2d_forward_f32, conv2d_backward_f32 } from './layers/conv';
export { transpose_rows_f32 } from './layers/flatten';
export { copy_strided_f32 } from './layers/merge';
export { lstm_cell_forward_f32, lstm_cell_backward_f32, gru_cell_forward_f32, gru_cell_backward_f32 } from './layers/recurrent';
export { attention_softmax_f32, attention_softmax_backward_f32 } from './layers/attention';
