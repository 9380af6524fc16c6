import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { reminderRetryDelayMs } from './reminder.ts';
import { WakeHeap } from './wake-heap.ts';
import { wakeTimeOf } from '../protocol/wake.ts';
import type { WakeEntry } from '../protocol/wake.ts';
import type { WakeIndex } from './wake-index.ts';
import { REAL_TIMERS } from './timer-source.ts';
import type { TimerSource } from './timer-source.ts';

export interface SchedulerOptions {
  index: WakeIndex;
  /** Wakes an instance (activates it, fires what is due, resumes tasks). Rejects when that failed. */
  wake(key: string, partition: number): Promise<void>;
  log: StructuredLogger;
  now?: () => number;
  /** Waits between attempts to load a partition's index (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** Longest single timer; the scheduler re-checks at least this often. */
  maxSleepMs?: number;
  /** Where its timer comes from (default Node's; colony/testing passes its clock's). */
  timers?: TimerSource;
}

const unrefSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Wakes instances when their reminders are due, for the partitions this pod
 * owns. The durable index (KV) says which instances need waking; the pod
 * keeps the ones of its partitions in a heap and runs one timer for the
 * earliest. A failed wake is retried with backoff; the instance itself
 * decides what is due (the index may be stale or early, never late).
 */
export class ReminderScheduler {
  readonly #options: SchedulerOptions;
  readonly #now: () => number;
  readonly #heap = new WakeHeap();
  readonly #partitionOf = new Map<string, number>();
  /** The index entry last written for each key of an owned partition. */
  readonly #indexed = new Map<string, WakeEntry>();
  readonly #attempts = new Map<string, number>();
  readonly #waking = new Set<string>();
  readonly #owned = new Set<number>();
  readonly #timers: TimerSource;
  /** Cancels the armed timer. */
  #timer: (() => void) | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? REAL_TIMERS;
  }

  get scheduled(): number {
    return this.#heap.size;
  }

  /**
   * Takes over a partition: loads its index and schedules its instances
   * (tasks at once). A failed load is retried with backoff for as long as the
   * partition stays here, so a passing KV error does not leave its reminders
   * asleep until the partition moves.
   */
  async acquire(partition: number): Promise<void> {
    this.#owned.add(partition);
    let entries;
    for (let attempt = 1; ; attempt += 1) {
      try {
        entries = await this.#options.index.list(partition);
        break;
      } catch (error) {
        if (!this.#owned.has(partition) || this.#stopped) return;
        const delay = reminderRetryDelayMs(attempt);
        this.#options.log.warn(`loading the reminders of partition ${partition} failed; retrying in ${delay} ms`, errorField(error));
        await (this.#options.sleep ?? unrefSleep)(delay);
        if (!this.#owned.has(partition) || this.#stopped) return;
      }
    }
    if (!this.#owned.has(partition)) return;
    const now = this.#now();
    for (const { key, entry } of entries) {
      this.#partitionOf.set(key, partition);
      this.#indexed.set(key, entry);
      const at = wakeTimeOf(entry, now);
      if (at !== null) this.#heap.set(key, at);
    }
    this.#arm();
  }

  /** Forgets a partition this pod no longer owns. */
  release(partition: number): void {
    this.#owned.delete(partition);
    for (const [key, owner] of this.#partitionOf) {
      if (owner !== partition) continue;
      this.#partitionOf.delete(key);
      this.#indexed.delete(key);
      this.#heap.delete(key);
      this.#attempts.delete(key);
    }
  }

  /**
   * An active instance says what it needs now. Writes the index when it
   * changed and schedules its next reminder. Resolves once the index is
   * written (callers that need the index before their state write await it).
   */
  async update(key: string, partition: number, entry: WakeEntry): Promise<void> {
    const known = this.#indexed.get(key);
    const empty = entry.reminderAt === null && !entry.tasks;
    if (entry.reminderAt === null) this.#heap.delete(key);
    else this.#heap.set(key, entry.reminderAt);
    this.#arm();
    if (known?.reminderAt === entry.reminderAt && known.tasks === entry.tasks) return;
    if (empty && known === undefined) return;
    if (empty) {
      this.#indexed.delete(key);
      this.#partitionOf.delete(key);
      await this.#options.index.delete(partition, key);
    } else {
      this.#indexed.set(key, entry);
      this.#partitionOf.set(key, partition);
      await this.#options.index.put(partition, key, entry);
    }
  }

  /** The reminder time of the index entry last written for `key`. */
  indexedReminderAt(key: string): number | null | undefined {
    return this.#indexed.get(key)?.reminderAt;
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.();
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#stopped) return;
    const next = this.#heap.peek();
    if (next === undefined) {
      this.#timer?.();
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    const at = Math.min(next, this.#now() + (this.#options.maxSleepMs ?? 60_000));
    if (this.#timer && this.#timerAt <= at) return;
    this.#timer?.();
    this.#timerAt = at;
    this.#timer = this.#timers.set(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#fire();
      },
      Math.max(0, at - this.#now()),
      { unref: true },
    );
  }

  #fire(): void {
    const now = this.#now();
    for (const { key } of this.#heap.takeDue(now)) {
      const partition = this.#partitionOf.get(key);
      if (partition === undefined || !this.#owned.has(partition)) continue;
      if (this.#waking.has(key)) continue;
      this.#waking.add(key);
      this.#options
        .wake(key, partition)
        .then(
          () => this.#attempts.delete(key),
          (error: unknown) => {
            const attempt = (this.#attempts.get(key) ?? 0) + 1;
            this.#attempts.set(key, attempt);
            const delay = reminderRetryDelayMs(attempt);
            this.#options.log.warn(`waking ${key} for its reminders failed (attempt ${attempt}); retrying in ${delay} ms`, {
              key,
              ...errorField(error),
            });
            // Never sooner than the backoff: the failed wake may have indexed a due time in the past.
            if (this.#owned.has(partition)) this.#heap.set(key, Math.max(this.#heap.get(key) ?? 0, this.#now() + delay));
          },
        )
        .finally(() => {
          this.#waking.delete(key);
          this.#arm();
        });
    }
    this.#arm();
  }
}
