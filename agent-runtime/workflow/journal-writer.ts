import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { isWrongLastSequence } from '../client/nats-errors.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { JournalEntry } from '../protocol/workflow.ts';
import { describeStep } from './step.ts';

/** Where a run's entries go: appends resolve once the entry is stored. */
export interface Journal {
  /**
   * Stores `entry`. `stored` runs when it is, synchronously with the other
   * entries of the same message, in order: what resolves a step runs there, so
   * a body sees a message's results in one go, as a replay gives them.
   */
  append(entry: JournalEntry, stored?: () => void): Promise<void>;
  /** Resolves when nothing is waiting to be written. */
  settled(): Promise<void>;
  /** Entries waiting for their write. */
  readonly pending: number;
}

/** A publish that finds no JetStream, or times out, is tried again this many times (with the same message id). */
const PUBLISH_ATTEMPTS = 5;

interface Queued {
  json: string;
  /** Its UTF-8 length. */
  bytes: number;
  stored: (() => void) | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Appends a run's journal entries to its subject with group commit: while one
 * write is in flight, the entries that come in wait, and go together in the
 * next message, so thousands of parallel completions cost a few writes, not
 * thousands of sequential ones. Every write expects the subject's last
 * sequence to be the one this writer last wrote (or read): a write from an
 * activation that lost its instance to another pod is refused, and so is
 * every write after it (the activation must be dropped). Each message has a
 * message id, so a write retried after a timeout is stored once.
 */
export class JournalWriter implements Journal {
  readonly #js: JetStreamClient;
  readonly #subject: string;
  readonly #maxBytes: number;
  /** Makes message ids unique to this writer: the same run's subject is written again after a purge, within the duplicate window. */
  readonly #writer = randomUUID();
  #lastSeq: number;
  #queue: Queued[] = [];
  #writing: Promise<void> | undefined;
  #failed: Error | undefined;
  #idle: (() => void)[] = [];

  constructor(js: JetStreamClient, subject: string, lastSeq: number, maxBytes: number) {
    this.#js = js;
    this.#subject = subject;
    this.#lastSeq = lastSeq;
    this.#maxBytes = maxBytes;
  }

  get pending(): number {
    return this.#queue.length;
  }

  append(entry: JournalEntry, stored?: () => void): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const json = JSON.stringify(entry);
    const bytes = Buffer.byteLength(json);
    if (bytes + 2 > this.#maxBytes) {
      const what = entry.t === 'done' ? describeStep(entry.k, entry.step, entry.name) : `a ${entry.t} entry`;
      return Promise.reject(
        new ColonyError(
          'result_too_large',
          `${what} is ${bytes.toLocaleString('en-US')} bytes in the journal, over the ${this.#maxBytes.toLocaleString('en-US')} bytes one journal message carries (the NATS server's max_payload less room for headers); return less from it`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ json, bytes, stored, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  settled(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#failed) {
        const batch = this.#take();
        try {
          await this.#write(`[${batch.map((queued) => queued.json).join(',')}]`);
          for (const queued of batch) queued.stored?.();
          for (const queued of batch) queued.resolve();
        } catch (error) {
          this.#fail(error as Error, batch);
        }
      }
    } finally {
      this.#writing = undefined;
      for (const idle of this.#idle.splice(0)) idle();
    }
  }

  /** The entries of the next message: as many as fit. */
  #take(): Queued[] {
    let bytes = 2;
    let count = 0;
    for (const queued of this.#queue) {
      const size = queued.bytes + 1;
      if (count > 0 && bytes + size > this.#maxBytes) break;
      bytes += size;
      count += 1;
    }
    return this.#queue.splice(0, count);
  }

  async #write(data: string): Promise<void> {
    const msgID = `${this.#writer}@${this.#lastSeq}`;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const ack = await this.#js.publish(this.#subject, data, { msgID, expect: { lastSubjectSequence: this.#lastSeq } });
        this.#lastSeq = ack.seq;
        return;
      } catch (error) {
        if (isWrongLastSequence(error)) {
          throw new ColonyError('unavailable', `the journal of this workflow was written by another activation (${this.#subject}); this one is dropped, and the next call loads it afresh`, {
            cause: error,
            retryAfterSeconds: 1,
          });
        }
        if (attempt >= PUBLISH_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }

  #fail(error: Error, batch: Queued[]): void {
    this.#failed = error;
    for (const queued of [...batch, ...this.#queue.splice(0)]) queued.reject(error);
  }
}
