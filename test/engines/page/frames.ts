// How free the page's main thread stays: animation frames delivered and the longest gap between two
// (every engine), and long tasks where the engine reports them (Chromium's PerformanceObserver
// 'longtask'; Firefox and WebKit have none).

export interface MainThreadFacts {
  frames: number;
  maxFrameGapMs: number;
  /** Long tasks (> 50 ms) seen, or null where the engine has no long-task observer. */
  longTasks: number | null;
}

/** Starts counting frames (and long tasks) until `stop()`. */
export function frameMonitor(): { count(): number; stop(): MainThreadFacts } {
  let frames = 0;
  let last = 0;
  let maxGap = 0;
  let running = true;
  const onFrame = (time: number) => {
    if (!running) return;
    if (frames > 0) maxGap = Math.max(maxGap, time - last);
    last = time;
    frames++;
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);
  const supported = PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false;
  let longTasks = 0;
  const observer = supported ? new PerformanceObserver((list) => { longTasks += list.getEntries().length; }) : null;
  observer?.observe({ type: 'longtask', buffered: false });
  return {
    count: () => frames,
    stop() {
      running = false;
      observer?.disconnect();
      return { frames, maxFrameGapMs: Math.round(maxGap), longTasks: observer ? longTasks : null };
    },
  };
}
