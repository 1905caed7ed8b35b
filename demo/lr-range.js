// The learning rates the range test spans, by optimizer. Adam and its kin take steps of about the rate
// whatever the gradient's size (useful rates 1e-4 … 1e-2, divergence by 1); plain SGD's steps scale with
// the gradient (useful up to about 1). Two decades either side, so both the fall and the blow-up show;
// 1e-6 … 10 for every optimizer left Adam on the default spirals with no suggestion (it diverged at once).

/** { minLr, maxLr } for the range test with optimizer `name`. */
export function rangeFor(name) {
  return name === 'sgd' ? { minLr: 1e-4, maxLr: 10 } : { minLr: 1e-5, maxLr: 1 };
}
