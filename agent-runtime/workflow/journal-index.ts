import type { JournalEntry, StepKind } from '../protocol/workflow.ts';

/**
 * What a run's journal says about each step, read before a replay starts:
 * which step each position was (to catch code that takes another), when it
 * started, its timer and its failed attempts, and the `patched` markers.
 * Marks are added as the live run writes them too.
 */
export class JournalIndex {
  readonly #steps = new Map<number, { step: StepKind; name: string; started?: number }>();
  readonly #timers = new Map<number, { due: number; journaled: boolean }>();
  readonly #retries = new Map<number, { attempt: number; at: number; delayMs: number }>();
  readonly #patches = new Set<string>();
  #lastStep = -1;
  #ended = false;

  /** The highest step number the journal mentions (-1: none). */
  get lastStep(): number {
    return this.#lastStep;
  }

  /** The journal has an end entry: the run ended (its record may not say so yet). */
  get ended(): boolean {
    return this.#ended;
  }

  scan(messages: readonly JournalEntry[][]): void {
    for (const message of messages) {
      for (const entry of message) {
        switch (entry.t) {
          case 'done':
            this.#steps.set(entry.k, { step: entry.step, name: entry.name, started: entry.started });
            this.#note(entry.k);
            break;
          case 'timer':
            this.#timers.set(entry.k, { due: entry.due, journaled: true });
            this.#note(entry.k);
            break;
          case 'retry':
            this.noteRetry(entry.k, entry.attempt, entry.at, entry.delayMs);
            this.#note(entry.k);
            break;
          case 'patch':
            this.#patches.add(patchKey(entry.id, entry.k));
            break;
          case 'end':
            this.#ended = true;
            break;
          case 'event':
            break;
        }
      }
    }
  }

  /** What the journal says step `k` was, if it completed. */
  step(k: number): { step: StepKind; name: string } | undefined {
    return this.#steps.get(k);
  }

  started(k: number): number | undefined {
    return this.#steps.get(k)?.started;
  }

  timer(k: number): number | undefined {
    return this.#timers.get(k)?.due;
  }

  timerJournaled(k: number): boolean {
    return this.#timers.get(k)?.journaled ?? false;
  }

  /** The due time of a timer the body just set (a journaled one keeps its own). */
  planTimer(k: number, due: number): void {
    if (!this.#timers.has(k)) this.#timers.set(k, { due, journaled: false });
  }

  markTimerJournaled(k: number): void {
    const timer = this.#timers.get(k);
    if (timer) timer.journaled = true;
  }

  retry(k: number): { attempt: number; at: number; delayMs: number } | undefined {
    return this.#retries.get(k);
  }

  noteRetry(k: number, attempt: number, at: number, delayMs: number): void {
    this.#retries.set(k, { attempt, at, delayMs });
  }

  hasPatch(id: string, k: number): boolean {
    return this.#patches.has(patchKey(id, k));
  }

  addPatch(id: string, k: number): void {
    this.#patches.add(patchKey(id, k));
  }

  #note(k: number): void {
    if (k > this.#lastStep) this.#lastStep = k;
  }
}

function patchKey(id: string, k: number): string {
  return `${k}:${id}`;
}
