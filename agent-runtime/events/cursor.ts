/**
 * A subscription's cursor: events are handled out of order across keys, but
 * the cursor only moves past an event once every earlier one is done, so a
 * pump that restarts from it (another pod, after a crash) misses nothing and
 * repeats only what was in flight. Pure; no I/O.
 */
export class CursorFloor {
  #floor: number;
  /** Events started and not done yet. */
  readonly #open = new Set<number>();
  /** Events done above the floor, waiting for earlier ones. */
  readonly #done = new Set<number>();

  constructor(floor: number) {
    this.#floor = floor;
  }

  /** The highest sequence with every event at or below it done. */
  get floor(): number {
    return this.#floor;
  }

  get inFlight(): number {
    return this.#open.size;
  }

  start(seq: number): void {
    if (seq > this.#floor) this.#open.add(seq);
  }

  /** Marks `seq` done; returns the floor after it. */
  done(seq: number): number {
    if (!this.#open.delete(seq)) return this.#floor;
    this.#done.add(seq);
    // Sequences of a stream are dense, but a purged or deleted message leaves a gap: the floor
    // moves to just below the lowest event still open (or past everything done when none is).
    const lowestOpen = this.#open.size > 0 ? Math.min(...this.#open) : Number.POSITIVE_INFINITY;
    for (const d of [...this.#done].sort((a, b) => a - b)) {
      if (d > lowestOpen) break;
      this.#done.delete(d);
      this.#floor = Math.max(this.#floor, d);
    }
    return this.#floor;
  }
}

/** How long to wait before attempt `attempt` (1-based: the second attempt waits `baseMs`), capped. */
export function retryDelay(attempt: number, baseMs = 200, maxMs = 10_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 2));
}
