// Held-out images with the network's guesses: a wrong guess is marked in red with the true label.

/** Draws row `r` of `x` (rows × w·h, any non-negative scale) into a new w × h canvas. */
export function imageCanvas(x, r, [w, h], max) {
  const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
  const context = canvas.getContext('2d');
  const image = context.createImageData(w, h);
  for (let p = 0; p < w * h; p++) {
    const v = Math.round((255 * x[r * w * h + p]) / max);
    image.data.set([v, v, v, 255], 4 * p);
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

export function drawExamples(container, preview, shape, predicted) {
  const count = preview.y.length;
  if (container.dataset.key !== `${shape}:${count}:${preview.y.join('')}`) {
    container.dataset.key = `${shape}:${count}:${preview.y.join('')}`;
    const max = preview.x.reduce((m, v) => Math.max(m, v), 0) || 1;
    container.replaceChildren(...Array.from({ length: count }, (_, i) => {
      const figure = document.createElement('figure');
      const canvas = imageCanvas(preview.x, i, shape, max);
      canvas.setAttribute('role', 'img');
      figure.append(canvas, document.createElement('figcaption'));
      return figure;
    }));
  }
  [...container.children].forEach((figure, i) => {
    const truth = preview.y[i];
    const guess = predicted?.[i];
    const caption = figure.querySelector('figcaption');
    caption.textContent = guess === undefined ? `? (${truth})` : guess === truth ? String(guess) : `${guess} ✗ (${truth})`;
    figure.classList.toggle('wrong', guess !== undefined && guess !== truth);
    figure.querySelector('canvas').setAttribute('aria-label', `digit ${truth}, ${guess === undefined ? 'not predicted yet' : `predicted ${guess}`}`);
  });
}
