import type { Step } from './step.ts';

/**
 * The steps of a run with an effect elsewhere (activities, calls, sends,
 * children), started in the order the body took them while fewer than `max`
 * run and the run lets them start (not suspended, stopping or ended). An
 * attempt holds its slot until its outcome is handled, a retry's wait included.
 */
export class EffectQueue {
  readonly #ready: Step[] = [];
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
    return this.#ready.length;
  }

  push(step: Step): void {
    this.#ready.push(step);
  }

  /** Forgets the steps not started (the run ended). */
  clear(): void {
    this.#ready.length = 0;
  }

  /** Starts steps while there is room. */
  pump(): void {
    while (this.#ready.length > 0 && this.#running < this.#max && this.#open()) {
      const step = this.#ready.shift() as Step;
      this.#running += 1;
      void this.#attempt(step).finally(() => {
        this.#running -= 1;
        this.pump();
      });
    }
  }
}
