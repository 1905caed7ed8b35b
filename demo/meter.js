// The responsiveness meter: a bar animated by requestAnimationFrame on the main thread, a frames-per-
// second readout, and the longest frame since the last reset. If training blocked this thread, the
// bar would stall and the longest frame would jump; the test reads the counters from data attributes.

export function startMeter({ pulse, fps, gap, meter }) {
  let frames = 0;
  let windowFrames = 0;
  let windowStart = performance.now();
  let last = windowStart;
  let longest = 0;
  const tick = (now) => {
    frames++;
    windowFrames++;
    longest = Math.max(longest, now - last);
    last = now;
    const track = pulse.parentElement.clientWidth - pulse.clientWidth;
    const phase = (now / 1000) % 2;
    pulse.style.transform = `translateX(${(phase < 1 ? phase : 2 - phase) * track}px)`;
    if (now - windowStart >= 500) {
      fps.value = Math.round((windowFrames * 1000) / (now - windowStart));
      gap.value = longest.toFixed(0);
      windowFrames = 0;
      windowStart = now;
    }
    meter.dataset.frames = String(frames);
    meter.dataset.longest = longest.toFixed(1);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return {
    /** Frames counted so far. */
    frames: () => frames,
    /** Starts a new "longest frame" window (e.g. when training starts). */
    resetLongest() {
      longest = 0;
      last = performance.now();
    },
  };
}
