// Draw your own digit: a pad the network reads as it would a data set image (the ink's bounding box
// scaled into the middle 20×20 of 28×28 for MNIST, into the whole 8×8 for the small digits, as those
// data sets were made), predicted in the worker while you draw, shown as probability bars.

const PAD = 224; // drawing resolution: 8 pad pixels per MNIST pixel

/** The pad's ink as one input row of a w × h data set image, values in [0, scale]. */
function padInput(pad, [w, h], scale) {
  const { data } = pad.getContext('2d').getImageData(0, 0, PAD, PAD);
  let [left, top, right, bottom] = [PAD, PAD, -1, -1];
  for (let y = 0; y < PAD; y++) {
    for (let x = 0; x < PAD; x++) {
      if (data[4 * (y * PAD + x)] < 16) continue;
      left = Math.min(left, x); right = Math.max(right, x); top = Math.min(top, y); bottom = Math.max(bottom, y);
    }
  }
  const input = new Float32Array(w * h);
  if (right < 0) return input;
  const box = w === 28 ? 20 : w; // MNIST digits fill a 20×20 box centred in 28×28
  const [bw, bh] = [right - left + 1, bottom - top + 1];
  const fit = box / Math.max(bw, bh);
  const small = Object.assign(document.createElement('canvas'), { width: w, height: h });
  const context = small.getContext('2d');
  context.fillStyle = '#000';
  context.fillRect(0, 0, w, h);
  context.imageSmoothingQuality = 'high';
  context.drawImage(pad, left, top, bw, bh, (w - bw * fit) / 2, (h - bh * fit) / 2, bw * fit, bh * fit);
  const pixels = context.getImageData(0, 0, w, h).data;
  for (let p = 0; p < w * h; p++) input[p] = (pixels[4 * p] / 255) * scale;
  return input;
}

export function drawPad({ canvas, bars, clear }, { trainer, classNames }) {
  canvas.width = canvas.height = PAD;
  const context = canvas.getContext('2d');
  let shape = [28, 28];
  let scale = 1;
  let last = null;
  let inked = false;
  let busy = false;
  let again = false;

  const wipe = () => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, PAD, PAD);
    inked = false;
    showBars(null);
  };

  function showBars(probabilities) {
    if (!trainer()) {
      bars.textContent = 'Train a network first, then draw a digit here: it guesses as you draw.';
      return;
    }
    bars.replaceChildren(...classNames().map((name, c) => {
      const row = document.createElement('div');
      row.className = 'bar';
      const p = probabilities?.[c] ?? 0;
      row.innerHTML = `<span>${name}</span><span class="fill" style="width:${(100 * p).toFixed(1)}%"></span><span>${(100 * p).toFixed(0)} %</span>`;
      return row;
    }));
    if (probabilities) bars.dataset.best = String(probabilities.indexOf(Math.max(...probabilities)));
  }

  async function predict() {
    const current = trainer();
    if (!current || !inked) return;
    if (busy) {
      again = true; // one prediction in flight; the latest drawing is read when it returns
      return;
    }
    busy = true;
    try {
      showBars(Array.from(await current.predict(padInput(canvas, shape, scale))));
    } catch {
      // the run was replaced or disposed meanwhile: nothing to show
    } finally {
      busy = false;
      if (again) {
        again = false;
        predict();
      }
    }
  }

  const at = (event) => {
    const rect = canvas.getBoundingClientRect();
    return [((event.clientX - rect.left) / rect.width) * PAD, ((event.clientY - rect.top) / rect.height) * PAD];
  };
  canvas.addEventListener('pointerdown', (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    stroke(last);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (last) stroke(at(event));
  });
  const end = () => {
    last = null;
    predict();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clear.addEventListener('click', wipe);

  function stroke(point) {
    context.strokeStyle = '#fff';
    context.lineWidth = 18;
    context.lineCap = context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...point);
    context.stroke();
    inked = true;
    last = point;
    predict();
  }

  return {
    /** Reads images as `imageShape` with values up to `maxValue` (1 for MNIST, 16 for the 8×8 digits); clears the pad. */
    configure(imageShape, maxValue) {
      shape = imageShape;
      scale = maxValue;
      wipe();
    },
    /** Predicts the current drawing again (after an epoch). */
    refresh: predict,
  };
}
