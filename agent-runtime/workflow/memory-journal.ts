import { ColonyError } from '../protocol/errors.ts';
import type { JournalEntry } from '../protocol/workflow.ts';
import type { Journal } from './journal-writer.ts';

/**
 * A journal in memory with the JournalWriter's group commit (for unit tests
 * of the run's pure logic): entries appended meanwhile go into one message,
 * written on the next macrotask; a message's `stored` callbacks run together.
 */
export class MemoryJournal implements Journal {
  readonly messages: JournalEntry[][] = [];
  /** Entries larger than this are refused, as JournalWriter refuses them. */
  maxBytes = Number.POSITIVE_INFINITY;
  #queue: { entry: JournalEntry; stored: (() => void) | undefined; resolve: () => void }[] = [];
  #scheduled = false;
  #idle: (() => void)[] = [];

  get pending(): number {
    return this.#queue.length;
  }

  get entries(): JournalEntry[] {
    return this.messages.flat();
  }

  append(entry: JournalEntry, stored?: () => void): Promise<void> {
    if (JSON.stringify(entry).length > this.maxBytes) return Promise.reject(new ColonyError('result_too_large', 'the entry is too large for the journal'));
    return new Promise((resolve) => {
      this.#queue.push({ entry: JSON.parse(JSON.stringify(entry)) as JournalEntry, stored, resolve });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#write());
      }
    });
  }

  settled(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #write(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0);
    this.messages.push(batch.map((queued) => queued.entry));
    for (const queued of batch) queued.stored?.();
    for (const queued of batch) queued.resolve();
    for (const idle of this.#idle.splice(0)) idle();
  }
}
