// What a CNN's convolution layers make of one image: the input standardised as the trainer does
// (normalize: true, per-pixel mean and std), then each conv2d (stride 1, 'same' or 'valid' padding,
// ReLU or none) and max-pooling layer in turn, computed here in float64 from the layers' weights.
// A 28×28 image through the demo's CNN is about 0.3 M multiply-adds: well under a millisecond.

const relu = (v) => (v > 0 ? v : 0);
const ACTIVATIONS = { relu, linear: (v) => v, undefined: (v) => v };

/** conv2d of x (h × w × c, channels last) with torch-layout weights [filters, c, k, k]; out: h' × w' × filters. */
function conv2d(x, [h, w, c], weight, bias, filters, k, same, activation) {
  const pad = same ? (k - 1) >> 1 : 0;
  const [ho, wo] = same ? [h, w] : [h - k + 1, w - k + 1];
  const out = new Float64Array(ho * wo * filters);
  for (let y = 0; y < ho; y++) {
    for (let x0 = 0; x0 < wo; x0++) {
      for (let f = 0; f < filters; f++) {
        let sum = bias ? bias[f] : 0;
        for (let ch = 0; ch < c; ch++) {
          for (let i = 0; i < k; i++) {
            const row = y + i - pad;
            if (row < 0 || row >= h) continue;
            for (let j = 0; j < k; j++) {
              const col = x0 + j - pad;
              if (col >= 0 && col < w) sum += weight[((f * c + ch) * k + i) * k + j] * x[(row * w + col) * c + ch];
            }
          }
        }
        out[(y * wo + x0) * filters + f] = activation(sum);
      }
    }
  }
  return [out, [ho, wo, filters]];
}

/** Max pooling of x (h × w × c) in size × size windows, stride size. */
function maxPool(x, [h, w, c], size) {
  const [ho, wo] = [Math.floor(h / size), Math.floor(w / size)];
  const out = new Float64Array(ho * wo * c).fill(-Infinity);
  for (let y = 0; y < ho * size; y++) {
    for (let x0 = 0; x0 < wo * size; x0++) {
      for (let ch = 0; ch < c; ch++) {
        const o = (Math.floor(y / size) * wo + Math.floor(x0 / size)) * c + ch;
        out[o] = Math.max(out[o], x[(y * w + x0) * c + ch]);
      }
    }
  }
  return [out, [ho, wo, c]];
}

/**
 * The feature maps of each conv2d layer of `spec` for one image `row` (inputShape's h·w·c values,
 * raw), given the trainer's weights by checkpoint name and its normalisation ({ mean, std } or null):
 * [{ layer, filters, h, w, maps: Float64Array[] (one h × w map per filter) }], up to the first layer
 * that is neither conv2d nor max pooling.
 */
export function featureMaps(spec, weights, normalization, row) {
  let shape = spec.inputShape;
  let x = Float64Array.from(row, (v, p) => (normalization ? (v - normalization.mean[p]) / normalization.std[p] : v));
  const layers = [];
  for (const [index, layer] of spec.layers.entries()) {
    if (layer.type === 'conv2d') {
      const k = layer.kernelSize;
      const activation = ACTIVATIONS[layer.activation];
      const simple = Number.isInteger(k) && (layer.stride ?? 1) === 1 && (layer.dilation ?? 1) === 1 && ['same', 'valid', undefined].includes(layer.padding);
      if (!simple || !activation) break; // a geometry this view does not draw
      [x, shape] = conv2d(x, shape, weights[`${index}.weight`], weights[`${index}.bias`], layer.filters, k, layer.padding === 'same', activation);
      const [h, w, filters] = shape;
      const maps = Array.from({ length: filters }, (_, f) => Float64Array.from({ length: h * w }, (_, p) => x[p * filters + f]));
      layers.push({ layer: index, filters, h, w, maps });
    } else if (layer.type === 'maxpool2d' && (layer.stride ?? layer.poolSize) === layer.poolSize) {
      [x, shape] = maxPool(x, shape, layer.poolSize);
    } else {
      break;
    }
  }
  return layers;
}
