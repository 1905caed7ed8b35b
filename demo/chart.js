// Live loss and accuracy chart (uPlot): training loss per batch, validation loss and both accuracies
// per epoch, on an epoch axis that spans the whole run from the start (so the line grows across it).
// Points are appended as they arrive and drawn once per frame.
import './locale.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { redrawEachFrame } from './legend.js';

const HEIGHT = 260;
const number = (digits) => (v) => (v == null ? '–' : v.toFixed(digits));
const percent = (v) => (v == null ? '–' : `${(100 * v).toFixed(1)} %`);

export function lossChart(container) {
  const data = [[], [], [], [], []]; // epoch, loss, valLoss, accuracy, valAccuracy
  const epochRows = new Map(); // epoch → its row in data (batch rows lie between them)
  let lastEpochRow = null;
  let epochs = 10;
  /**
   * The legend's text for series `s`: at the hovered point, the epoch it belongs to (a batch's own
   * loss); with no pointer over the chart, the latest epoch.
   */
  const legendValue = (format) => (u, v, s, idx) => {
    if (idx != null && s === 1) return format(v);
    const row = idx == null ? lastEpochRow : epochRows.get(Math.ceil(data[0][idx])) ?? idx;
    return row == null ? '–' : format(data[s][row]);
  };
  const plot = new uPlot({
    width: container.clientWidth || 600,
    height: HEIGHT,
    scales: {
      x: { time: false, range: () => [0, epochs] },
      y: { range: (u, min, max) => [0, Number.isFinite(max) && max > 0 ? max * 1.05 : 1] },
      acc: { range: [0, 1] },
    },
    axes: [
      { label: 'epoch', size: 40, values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
      { label: 'loss', scale: 'y', size: 50, values: (u, ticks) => ticks.map((t) => t.toPrecision(2)) },
      { label: 'accuracy', scale: 'acc', side: 1, size: 50, grid: { show: false }, values: (u, ticks) => ticks.map((t) => `${Math.round(100 * t)} %`) },
    ],
    series: [
      { label: 'epoch', value: (u, v, s, idx) => (idx == null ? legendValue(number(0))(u, v, s, idx) : number(2)(v)) },
      { label: 'loss', stroke: '#0b63c5', width: 1.5, spanGaps: true, points: { show: false }, value: legendValue(number(4)) },
      { label: 'val loss', stroke: '#c5490b', width: 2, spanGaps: true, value: legendValue(number(4)) },
      { label: 'accuracy', stroke: '#1b7f3b', width: 2, spanGaps: true, scale: 'acc', dash: [6, 4], value: legendValue(percent) },
      { label: 'val accuracy', stroke: '#8e24aa', width: 2, spanGaps: true, scale: 'acc', dash: [2, 3], value: legendValue(percent) },
    ],
  }, data, container);
  const schedule = redrawEachFrame(plot, data);
  new ResizeObserver(() => plot.setSize({ width: container.clientWidth, height: HEIGHT })).observe(container);
  const push = (x, values) => {
    data[0].push(x);
    for (let s = 1; s < data.length; s++) data[s].push(values[s - 1] ?? null);
    container.dataset.points = String(data[0].length);
    schedule();
  };
  return {
    batch: (x, loss) => push(x, [loss]),
    epoch(x, log) {
      lastEpochRow = data[0].length;
      epochRows.set(x, lastEpochRow);
      push(x, [log.loss, log.valLoss, log.accuracy, log.valAccuracy]);
    },
    /** Empties the chart and sets the epoch axis to 0 … `total`. */
    reset(total) {
      epochs = Math.max(1, total);
      for (const series of data) series.length = 0;
      epochRows.clear();
      lastEpochRow = null;
      container.dataset.points = '0';
      schedule();
    },
    /** Widens the epoch axis (Resume with more epochs). */
    extend(total) {
      epochs = Math.max(epochs, total);
      schedule();
    },
  };
}
