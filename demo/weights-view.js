// What the first layers look for. Dense networks: one tile per first-layer unit, its weights as an
// image (red pushes the unit up, blue down, each tile scaled by its largest magnitude). CNNs: the
// feature maps each conv layer makes of one digit (the one drawn on the pad, else the first held-out
// one): a 3×3 kernel as a tile says little, what it lights up in a digit says what it detects.
// Canvases are kept from one epoch to the next and only repainted.
import { decodeSafetensors } from 'descent-wasm';
import { featureMaps } from './feature-maps.js';

const MAX_TILES = 32;
const normalizations = new WeakMap(); // trainer → its normalisation statistics (fixed after the first fit)

/** `count` canvases of w × h in `container`, reused when they are already there. */
function canvases(container, count, [w, h]) {
  const kept = [...container.querySelectorAll('canvas')];
  if (kept.length === count && kept.every((c) => c.width === w && c.height === h)) return kept;
  const made = Array.from({ length: count }, () => Object.assign(document.createElement('canvas'), { width: w, height: h }));
  container.replaceChildren(...made);
  return made;
}

/** Paints values (w × h) into `canvas`: signed red/blue, or unsigned black to white; scaled by the largest magnitude. */
function paint(canvas, values, offset, signed) {
  const { width: w, height: h } = canvas;
  const context = canvas.getContext('2d');
  const image = context.createImageData(w, h);
  let scale = 1e-12;
  for (let p = 0; p < w * h; p++) scale = Math.max(scale, Math.abs(values[offset + p]));
  for (let p = 0; p < w * h; p++) {
    const v = values[offset + p] / scale;
    const fade = Math.round(255 * (1 - Math.abs(v)));
    const level = Math.round(255 * Math.max(0, v));
    image.data.set(signed ? (v >= 0 ? [255, fade, fade, 255] : [fade, fade, 255, 255]) : [level, level, level, 255], 4 * p);
  }
  context.putImageData(image, 0, 0);
}

/** The trainer's normalisation { mean, std } (null without normalize: true), read once from its checkpoint. */
async function normalizationOf(trainer) {
  if (!normalizations.has(trainer)) {
    const metadata = decodeSafetensors(await trainer.save()).metadata;
    normalizations.set(trainer, JSON.parse(metadata.normalization ?? 'null'));
  }
  return normalizations.get(trainer);
}

/** A labelled row of feature maps in `container`: reused when it has the same layer and size. */
function mapRow(container, index, title, count, shape) {
  let row = container.children[index];
  if (!row || row.dataset.title !== title) {
    row = document.createElement('figure');
    row.className = 'maps';
    row.dataset.title = title;
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    const tiles = document.createElement('div');
    tiles.className = 'tiles';
    row.append(caption, tiles);
    if (container.children[index]) container.children[index].replaceWith(row);
    else container.append(row);
  }
  return canvases(row.querySelector('.tiles'), count, shape);
}

/**
 * Draws the first dense layer's weights as tiles, or for a CNN the feature maps of `image` (one raw
 * input row); `imageShape` is [w, h] of the data set's images.
 */
export async function drawWeights(container, trainer, spec, imageShape, image) {
  const conv = spec.layers[0].type === 'conv2d';
  container.classList.toggle('layers', conv); // rows of maps, one per layer, instead of one grid of tiles
  const [weights, normalization] = await Promise.all([trainer.getWeights(), conv ? normalizationOf(trainer) : null]);
  if (!conv) {
    const size = imageShape[0] * imageShape[1];
    const first = weights['0.weight'];
    const count = Math.min(MAX_TILES, first.length / size);
    if (container.querySelector('figure')) container.replaceChildren();
    canvases(container, count, imageShape).forEach((canvas, unit) => {
      paint(canvas, first, unit * size, true);
      canvas.title = `unit ${unit}`;
    });
    container.dataset.tiles = String(count);
    delete container.dataset.maps;
    return;
  }
  if (!container.querySelector('figure')) container.replaceChildren();
  const layers = featureMaps(spec, weights, normalization, image);
  const [input] = mapRow(container, 0, 'the digit', 1, imageShape);
  paint(input, image, 0, false);
  layers.forEach(({ layer, filters, h, w, maps }, k) => {
    const tiles = mapRow(container, k + 1, `conv layer ${k + 1}: ${filters} feature maps, ${w}×${h}`, filters, [w, h]);
    tiles.forEach((canvas, f) => {
      paint(canvas, maps[f], 0, false);
      canvas.title = `layer ${layer}, filter ${f}`;
    });
  });
  while (container.children.length > layers.length + 1) container.lastElementChild.remove();
  container.dataset.maps = String(layers.reduce((n, l) => n + l.filters, 0));
  delete container.dataset.tiles;
}
