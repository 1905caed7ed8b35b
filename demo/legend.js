// uPlot's legend reads "–" for every series when no point is hovered; these let a chart show a
// resting point instead (the explorer at x = 1, the range test at its suggestion).

/** The index of the value in `xs` nearest to `x` (null for no values). */
export function nearestIndex(xs, x) {
  let best = null;
  for (let i = 0; i < xs.length; i++) if (xs[i] != null && (best === null || Math.abs(xs[i] - x) < Math.abs(xs[best] - x))) best = i;
  return best;
}

/** A series' legend value: the hovered point's, or with nothing hovered the one at row `restingRow(u)`. */
export const restingValue = (format, restingRow) => (u, v, s, idx) => {
  const row = idx ?? restingRow(u);
  return format(row == null ? null : u.data[s][row]);
};

/** Re-reads the resting point into the legend after new data, unless the pointer is on a point. */
export function refreshLegend(plot) {
  if (plot.legend.idx == null) plot.setLegend({ idx: null });
}

/**
 * A `schedule()` that redraws `plot` with `data` once per animation frame however many points
 * arrived in it, then shows the resting legend (nothing hovered: the latest values).
 */
export function redrawEachFrame(plot, data) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      plot.setData(data);
      refreshLegend(plot);
    });
  };
}
