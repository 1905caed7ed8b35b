// The writing page's chart (uPlot): the training loss per batch, the held-out loss per epoch and the
// bigram model's held-out loss as a flat line, all in nats per character, over an epoch axis that
// spans the run. Drawn at most once per frame.
import './locale.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { redrawEachFrame, restingValue } from './legend.js';

const HEIGHT = 240;
const nats = (v) => (v == null ? '–' : v.toFixed(3));
const BIGRAM_COLOUR = '#57606a';

/** The bigram's loss as a dashed line across the plot, labelled at its right end. */
function drawBigram(u, value) {
  if (value == null) return;
  const { ctx } = u;
  const y = Math.round(u.valToPos(value, 'y', true));
  const { left, width } = u.bbox;
  ctx.save();
  ctx.strokeStyle = BIGRAM_COLOUR;
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(left, y);
  ctx.lineTo(left + width, y);
  ctx.stroke();
  ctx.fillStyle = BIGRAM_COLOUR;
  ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.fillText('bigram', left + width - 4 * devicePixelRatio, y - 4 * devicePixelRatio);
  ctx.restore();
}

export function textChart(container) {
  const data = [[], [], [], []]; // epoch, training loss, held-out loss, (the bigram: drawn by a hook)
  let epochs = 10;
  let bigram = null;
  let lastEpochRow = null; // with nothing hovered the legend shows the latest epoch
  const plot = new uPlot({
    width: container.clientWidth || 600,
    height: HEIGHT,
    scales: {
      x: { time: false, range: () => [0, epochs] },
      y: { range: (u, min, max) => [0, Number.isFinite(max) && max > 0 ? Math.min(max, 5) * 1.05 : 5] },
    },
    axes: [
      { label: 'epoch', size: 40, values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
      { label: 'nats per character', size: 50, values: (u, ticks) => ticks.map((t) => t.toFixed(1)) },
    ],
    series: [
      { label: 'epoch', value: (u, v) => (v == null ? '–' : v.toFixed(2)) },
      { label: 'training', stroke: '#0b63c5', width: 1.5, spanGaps: true, points: { show: false }, value: restingValue(nats, () => (lastEpochRow ? lastEpochRow - 1 : null)) },
      { label: 'held out', stroke: '#c5490b', width: 2.5, spanGaps: true, points: { show: true, size: 6, fill: '#c5490b' }, value: restingValue(nats, () => lastEpochRow) },
      // no points of its own: the draw hook below rules it across the whole axis
      { label: 'bigram (held out)', stroke: BIGRAM_COLOUR, width: 1.5, dash: [6, 4], points: { show: false }, value: () => nats(bigram) },
    ],
    hooks: { draw: [(u) => drawBigram(u, bigram)] },
  }, data, container);
  const schedule = redrawEachFrame(plot, data);
  new ResizeObserver(() => plot.setSize({ width: container.clientWidth, height: HEIGHT })).observe(container);
  const push = (x, loss, heldOut) => {
    data[0].push(x);
    data[1].push(loss);
    data[2].push(heldOut);
    data[3].push(null);
    container.dataset.points = String(data[0].length);
    schedule();
  };
  return {
    batch: (x, loss) => push(x, loss, null),
    /** The held-out loss at the end of epoch `x` (the training line stays per batch: an epoch's mean would jump back up). */
    epoch(x, heldOut) {
      lastEpochRow = data[0].length;
      push(x, null, heldOut);
    },
    /** Sets the epoch axis to 0 … `total` (a stopped run's axis shrinks to what it trained). */
    setEpochs(total) {
      epochs = Math.max(1, total);
      schedule();
    },
    /** Empties the chart: an epoch axis of 0 … `total` and the bigram line at `line` nats. */
    reset(total, line) {
      epochs = Math.max(1, total);
      bigram = line;
      for (const series of data) series.length = 0;
      lastEpochRow = null;
      // one point at epoch 0 so the bigram line shows before the first batch
      for (const series of data) series.push(null);
      data[0][0] = 0;
      container.dataset.points = '0';
      schedule();
    },
  };
}
