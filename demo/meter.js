// The responsiveness meter: a bar animated by requestAnimationFrame on the main thread, a frames-per-
// second readout, and the longest frame since the last Start or Resume. If training blocked this
// thread, the bar would stall and the longest frame would jump; the test reads the counters from data
// attributes. The longest frame is measured only from a click on: the page's own load (parsing,
// compiling, the first layout) is not training's doing, and a hidden tab gets no frames at all.

export function startMeter({ pulse, fps, gap, meter }) {
  let frames = 0;
  let windowFrames = 0;
  let windowStart = performance.now();
  let last = windowStart;
  let longest = null; // null: not measuring yet (no run since the page loaded)
  const tick = (now) => {
    frames++;
    windowFrames++;
    if (longest !== null) longest = Math.max(longest, now - last);
    last = now;
    const track = pulse.parentElement.clientWidth - pulse.clientWidth;
    const phase = (now / 1000) % 2;
    pulse.style.transform = `translateX(${(phase < 1 ? phase : 2 - phase) * track}px)`;
    if (now - windowStart >= 500) {
      fps.value = Math.round((windowFrames * 1000) / (now - windowStart));
      gap.value = longest === null ? '–' : longest.toFixed(0);
      windowFrames = 0;
      windowStart = now;
    }
    meter.dataset.frames = String(frames);
    if (longest !== null) meter.dataset.longest = longest.toFixed(1);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // a tab in the background gets no frames: its gap says nothing about this page's work
  document.addEventListener('visibilitychange', () => { last = performance.now(); });
  return {
    /** Frames counted so far. */
    frames: () => frames,
    /** Starts a new "longest frame" window (when training starts or resumes). */
    resetLongest() {
      longest = 0;
      last = performance.now();
    },
  };
}
