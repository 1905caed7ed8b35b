// Draw your own digit: a pad the network reads as it would a data set image (digit-input.js makes the
// row the way each data set's images were made), predicted in the worker while you draw, shown as
// probability bars.
import { digitInput } from './digit-input.js';

const PAD = 224; // drawing resolution: 8 pad pixels per MNIST pixel
const PEN = 18; // pad pixels

/** The pad's ink as one input row of a data set with `imageShape` images (digit-input.js). */
function padInput(pad, imageShape) {
  const { data } = pad.getContext('2d').getImageData(0, 0, PAD, PAD);
  const ink = new Float32Array(PAD * PAD);
  // white ink on black: the red channel is the coverage; the faintest anti-aliasing is not ink
  for (let p = 0; p < ink.length; p++) ink[p] = data[4 * p] < 16 ? 0 : data[4 * p] / 255;
  return digitInput(ink, PAD, imageShape, PEN);
}

export function drawPad({ canvas, bars, clear, prompt }, { trainer, classNames, onRead }) {
  canvas.width = canvas.height = PAD;
  const context = canvas.getContext('2d');
  let shape = [28, 28];
  let last = null;
  let inked = false;
  let input = null; // the latest drawing as an input row
  let busy = false;
  let again = false;

  const wipe = () => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, PAD, PAD);
    inked = false;
    input = null;
    prompt.hidden = false;
    delete bars.dataset.best;
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
    bars.dataset.state = 'reading'; // until the latest drawing has been predicted
    if (busy) {
      again = true; // one prediction in flight; the latest drawing is read when it returns
      return;
    }
    busy = true;
    try {
      input = padInput(canvas, shape);
      showBars(Array.from(await current.predict(input)));
      onRead();
    } catch {
      // the run was replaced or disposed meanwhile: nothing to show
    } finally {
      busy = false;
      if (again) {
        again = false;
        predict();
      } else {
        bars.dataset.state = 'read';
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
    context.lineWidth = PEN;
    context.lineCap = context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...point);
    context.stroke();
    inked = true;
    prompt.hidden = true;
    last = point;
    predict();
  }

  return {
    /** Reads drawings as images of `imageShape` ([8, 8] digits or [28, 28] MNIST); clears the pad. */
    configure(imageShape) {
      shape = imageShape;
      wipe();
    },
    /** Predicts the current drawing again (after an epoch). */
    refresh: predict,
    /** The latest drawing as one input row of the configured image shape, or null when the pad is empty. */
    input: () => input,
  };
}
