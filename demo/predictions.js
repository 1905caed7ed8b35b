// Class predictions from probabilities (rows × classes, row-major).

/** The index of the largest value in each row. */
export function argmax(values, classes) {
  const labels = new Int32Array(values.length / classes);
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    labels[r] = best;
  }
  return labels;
}

/** Fraction of `predicted` equal to `truth`. */
export function accuracy(predicted, truth) {
  let right = 0;
  for (let i = 0; i < predicted.length; i++) right += predicted[i] === truth[i] ? 1 : 0;
  return right / predicted.length;
}
