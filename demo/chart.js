// Live loss and accuracy chart (uPlot): training loss per batch, validation loss and both accuracies
// per epoch, on a fractional-epoch axis. Points are appended as they arrive and drawn once per frame.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export function lossChart(container) {
  const data = [[], [], [], [], []]; // epoch, loss, valLoss, accuracy, valAccuracy
  const options = {
    width: container.clientWidth || 600,
    height: 300,
    scales: { x: { time: false }, acc: { range: [0, 1] } },
    axes: [
      { label: 'epoch' },
      { label: 'loss', scale: 'y' },
      { label: 'accuracy', scale: 'acc', side: 1, grid: { show: false } },
    ],
    series: [
      {},
      { label: 'loss', stroke: '#0b63c5', width: 1.5, spanGaps: true, points: { show: false } },
      { label: 'val loss', stroke: '#c5490b', width: 2, spanGaps: true },
      { label: 'accuracy', stroke: '#1b7f3b', width: 2, spanGaps: true, scale: 'acc', dash: [6, 4] },
      { label: 'val accuracy', stroke: '#8e24aa', width: 2, spanGaps: true, scale: 'acc', dash: [2, 3] },
    ],
  };
  const plot = new uPlot(options, data, container);
  let pending = false;
  const redraw = () => {
    pending = false;
    plot.setData(data);
  };
  const schedule = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(redraw);
    }
  };
  new ResizeObserver(() => plot.setSize({ width: container.clientWidth, height: 300 })).observe(container);
  const push = (x, values) => {
    data[0].push(x);
    for (let s = 1; s < data.length; s++) data[s].push(values[s - 1] ?? null);
    container.dataset.points = String(data[0].length);
    schedule();
  };
  return {
    batch: (x, loss) => push(x, [loss]),
    epoch: (x, log) => push(x, [log.loss, log.valLoss, log.accuracy, log.valAccuracy]),
    clear() {
      for (const series of data) series.length = 0;
      container.dataset.points = '0';
      schedule();
    },
  };
}
