import type { TimerSource } from '../reminders/timer-source.ts';

interface PendingTimer {
  at: number;
  /** Order of setting: timers due at the same time fire in the order they were set. */
  seq: number;
  fn: () => void;
}

/**
 * The time of a test harness (colony/testing): it stands still until
 * `advance` moves it, firing the reminders and `ctx.timers` that fall due on
 * the way, each at its own time, and waiting for the turns they start. It is
 * the harness's catalogs' `now` and timer source, so `ctx.deadline`,
 * `reminders.set({ afterMs })` and timers all read it; `Date.now()` in agent
 * code does not.
 */
export class TestClock implements TimerSource {
  #now: number;
  #seq = 0;
  #pending: PendingTimer[] = [];
  #advancing = false;
  readonly #settle: () => Promise<void>;

  /** `settle`: resolves once the work that fired timers started is done (the harness's turns and wake-ups). */
  constructor(start: number, settle: () => Promise<void>) {
    this.#now = start;
    this.#settle = settle;
  }

  /** The time, ms since the epoch. Bound: pass `clock.now` where a function is wanted. */
  readonly now = (): number => this.#now;

  /** Timers set and not fired or cancelled yet (reminders' and ctx.timers'). */
  get pending(): number {
    return this.#pending.length;
  }

  set(fn: () => void, ms: number): () => void {
    const timer: PendingTimer = { at: this.#now + Math.max(0, ms), seq: (this.#seq += 1), fn };
    this.#pending.push(timer);
    return () => {
      this.#pending = this.#pending.filter((pending) => pending !== timer);
    };
  }

  /**
   * Moves time forward by `ms`: each timer due by then fires at its due time,
   * in order, after the turns the one before started have ended (a periodic
   * one as often as it falls due). Resolves once all is done.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock.advance takes a number of ms of at least 0, not ${ms}`);
    if (this.#advancing) throw new Error('clock.advance is already running: await it before advancing again');
    this.#advancing = true;
    try {
      const target = this.#now + ms;
      await this.#settle();
      for (let next = this.#next(target); next; next = this.#next(target)) {
        this.#pending = this.#pending.filter((pending) => pending !== next);
        this.#now = Math.max(this.#now, next.at);
        next.fn();
        await this.#settle();
      }
      this.#now = target;
    } finally {
      this.#advancing = false;
    }
  }

  /** The earliest timer due at or before `target`. */
  #next(target: number): PendingTimer | undefined {
    let earliest: PendingTimer | undefined;
    for (const timer of this.#pending) {
      if (timer.at > target) continue;
      if (!earliest || timer.at < earliest.at || (timer.at === earliest.at && timer.seq < earliest.seq)) earliest = timer;
    }
    return earliest;
  }
}
