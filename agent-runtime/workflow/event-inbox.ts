import type { Step } from './step.ts';

/**
 * A run's external events: those journaled and not yet taken by a step, the
 * `waitForEvent` steps waiting, and the ids of the events journaled (a raise
 * sent again, after a timeout or a pod's crash, is stored once). Events of one
 * name go to the steps waiting for that name oldest first, in the order the
 * journal holds them, so a replay hands out the same payloads.
 */
export class EventInbox {
  readonly #kept = new Map<string, unknown[]>();
  readonly #waiting = new Map<string, Step[]>();
  readonly #ids = new Set<string>();

  /** Records that the event `id` is journaled; false when it already was. An event without an id is always new. */
  claim(id: string | undefined): boolean {
    if (id === undefined) return true;
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    return true;
  }

  /** An event of the journal (written live, or read back in a replay): kept until a step takes it. */
  keep(name: string, payload: unknown): void {
    const queue = this.#kept.get(name) ?? [];
    queue.push(payload);
    this.#kept.set(name, queue);
  }

  /** In a replay, a step the journal completed with an event took the oldest of that name. */
  takeReplayed(name: string): void {
    this.#kept.get(name)?.shift();
  }

  wait(step: Step): void {
    const waiting = this.#waiting.get(step.name) ?? [];
    waiting.push(step);
    this.#waiting.set(step.name, waiting);
  }

  /** The step no longer waits (its timeout fired). */
  unwait(step: Step): void {
    const waiting = this.#waiting.get(step.name);
    const at = waiting?.indexOf(step) ?? -1;
    if (waiting && at >= 0) waiting.splice(at, 1);
  }

  /** Pairs waiting steps with kept events of their name, oldest with oldest, removing both. */
  *matches(): Generator<[Step, unknown]> {
    for (const [name, waiting] of this.#waiting) {
      const queue = this.#kept.get(name);
      while (waiting.length > 0 && queue && queue.length > 0) yield [waiting.shift() as Step, queue.shift()];
    }
  }
}
