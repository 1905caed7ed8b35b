// The first layer's weights as images: one tile per hidden unit (dense) or filter (conv), blue for
// negative and red for positive weights, each scaled by its own largest magnitude. For image data sets
// they show what each unit looks for.

const MAX_TILES = 32;

function tile(weights, offset, [w, h]) {
  const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
  const context = canvas.getContext('2d');
  const image = context.createImageData(w, h);
  let scale = 1e-12;
  for (let p = 0; p < w * h; p++) scale = Math.max(scale, Math.abs(weights[offset + p]));
  for (let p = 0; p < w * h; p++) {
    const v = weights[offset + p] / scale;
    const fade = Math.round(255 * (1 - Math.abs(v)));
    image.data.set(v >= 0 ? [255, fade, fade, 255] : [fade, fade, 255, 255], 4 * p);
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/** Draws tiles of the first layer's weights; `shape` is the image size each unit's weights form. */
export async function drawWeights(container, trainer, spec, imageShape) {
  const first = spec.layers[0];
  const conv = first.type === 'conv2d';
  const shape = conv ? [first.kernelSize, first.kernelSize] : imageShape;
  const { '0.weight': weights } = await trainer.getWeights();
  const size = shape[0] * shape[1];
  const count = Math.min(MAX_TILES, weights.length / size);
  container.replaceChildren(...Array.from({ length: count }, (_, unit) => {
    const canvas = tile(weights, unit * size, shape);
    canvas.title = `${conv ? 'filter' : 'unit'} ${unit}`;
    return canvas;
  }));
  container.dataset.tiles = String(count);
}
