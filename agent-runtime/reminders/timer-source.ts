/**
 * Where one-shot timers come from: the real ones, or a test's clock
 * (`colony/testing`), so that tests of reminders and timers move time
 * forward instead of sleeping (STYLE: pass clocks and sleeps in).
 */
export interface TimerSource {
  /**
   * Calls `fn` once, `ms` from now; returns what cancels it. `unref`: the
   * timer does not keep the process alive (where that means anything).
   */
  set(fn: () => void, ms: number, options?: { unref?: boolean }): () => void;
}

/** Node's timers. */
export const REAL_TIMERS: TimerSource = {
  set(fn, ms, options) {
    const timer = setTimeout(fn, ms);
    if (options?.unref) timer.unref();
    return () => clearTimeout(timer);
  },
};
