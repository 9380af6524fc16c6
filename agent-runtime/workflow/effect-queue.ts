import type { Step } from './step.ts';

/**
 * The steps of a run with an effect elsewhere (activities, calls, sends,
 * children), started in the order the body took them while fewer than `max`
 * run and the run lets them start (not suspended, stopping or ended). An
 * attempt holds its slot until its outcome is handled, a retry's wait included.
 */
export class EffectQueue {
  /**
   * Steps waiting for a slot, the next at `#head`: taken by moving the head, not by
   * `shift()`, which copies the whole array once it is large (a fan-out of 100,000 steps
   * queues ~98,000 here, and each start would move them all).
   */
  #ready: (Step | undefined)[] = [];
  #head = 0;
  readonly #max: number;
  readonly #open: () => boolean;
  readonly #attempt: (step: Step) => Promise<void>;
  #running = 0;

  constructor(max: number, open: () => boolean, attempt: (step: Step) => Promise<void>) {
    this.#max = max;
    this.#open = open;
    this.#attempt = attempt;
  }

  /** Attempts running (or waiting out a retry's delay). */
  get running(): number {
    return this.#running;
  }

  /** Steps waiting for a slot. */
  get waiting(): number {
    return this.#ready.length - this.#head;
  }

  push(step: Step): void {
    this.#ready.push(step);
  }

  /** Forgets the steps not started (the run ended). */
  clear(): void {
    this.#ready = [];
    this.#head = 0;
  }

  /** Starts steps while there is room. */
  pump(): void {
    while (this.#head < this.#ready.length && this.#running < this.#max && this.#open()) {
      const step = this.#take();
      this.#running += 1;
      void this.#attempt(step).finally(() => {
        this.#running -= 1;
        this.pump();
      });
    }
  }

  #take(): Step {
    const step = this.#ready[this.#head] as Step;
    this.#ready[this.#head] = undefined;
    this.#head += 1;
    // Drop the taken part once it is most of the array: amortised O(1) a step.
    if (this.#head === this.#ready.length || (this.#head >= 1_024 && this.#head * 2 >= this.#ready.length)) {
      this.#ready = this.#ready.slice(this.#head);
      this.#head = 0;
    }
    return step;
  }
}
