// The 2-D playground's decision boundary: the network's probability of "orange" on a grid over the
// plane (predicted in the worker from a resident grid data set), painted as a coloured map under the
// training points. Redrawn after every epoch.

const GRID = 60;
const EXTENT = 1.25;
const grids = new WeakMap(); // trainer → resident grid data set (sent once per trainer)

function gridPoints() {
  const x = new Float32Array(GRID * GRID * 2);
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      x[2 * (j * GRID + i)] = -EXTENT + (2 * EXTENT * (i + 0.5)) / GRID;
      x[2 * (j * GRID + i) + 1] = EXTENT - (2 * EXTENT * (j + 0.5)) / GRID;
    }
  }
  return x;
}

const BLUE = [11, 99, 197];
const ORANGE = [230, 120, 20];

/** A colour between blue (p = 0) and orange (p = 1), pale where the network is unsure. */
function colour(p) {
  const sure = Math.abs(2 * p - 1);
  const base = p > 0.5 ? ORANGE : BLUE;
  return base.map((c) => Math.round(255 - sure * 0.55 * (255 - c)));
}

export function boundaryView(canvas) {
  const map = Object.assign(document.createElement('canvas'), { width: GRID, height: GRID });
  let points = null;
  let probabilities = null;

  function paint() {
    const size = Math.round(canvas.clientWidth * devicePixelRatio) || 300;
    if (canvas.width !== size) canvas.width = canvas.height = size;
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, size, size);
    if (probabilities) {
      const image = map.getContext('2d').createImageData(GRID, GRID);
      for (let k = 0; k < GRID * GRID; k++) image.data.set([...colour(probabilities[2 * k + 1]), 255], 4 * k);
      map.getContext('2d').putImageData(image, 0, 0);
      context.imageSmoothingEnabled = true;
      context.drawImage(map, 0, 0, size, size);
    }
    if (!points) return;
    const radius = Math.max(2, size / 110);
    const at = (v, flip) => ((flip ? EXTENT - v : v + EXTENT) / (2 * EXTENT)) * size;
    for (let r = 0; r < points.y.length; r++) {
      context.beginPath();
      context.arc(at(points.x[2 * r], false), at(points.x[2 * r + 1], true), radius, 0, 2 * Math.PI);
      context.fillStyle = `rgb(${(points.y[r] ? ORANGE : BLUE).join(',')})`;
      context.fill();
      context.strokeStyle = '#fff';
      context.lineWidth = radius / 2;
      context.stroke();
    }
  }
  new ResizeObserver(() => paint()).observe(canvas);

  return {
    /** Shows the training points of a new run, with no map yet. */
    reset(trainPoints) {
      points = trainPoints;
      probabilities = null;
      paint();
    },
    /** Predicts the grid with `trainer` (in its worker) and repaints the map. */
    async update(trainer) {
      if (!grids.has(trainer)) grids.set(trainer, trainer.dataset(gridPoints()));
      probabilities = await trainer.predict(await grids.get(trainer));
      canvas.dataset.updates = String(Number(canvas.dataset.updates ?? 0) + 1);
      paint();
    },
  };
}
