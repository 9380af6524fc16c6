import { ColonyError } from '../protocol/errors.ts';
import type { ReminderEntry } from '../reminders/reminder.ts';
import type { WakeEntry } from '../reminders/wake-index.ts';
import type { StateStore } from '../state/state-store.ts';
import { encodeRecord, pruneCalls } from '../state/stored-record.ts';
import type { StoredReply, StoredTask } from '../state/stored-record.ts';
import type { Reply } from './reply.ts';

const NO_EXTRAS = '{}';

interface Extras {
  reminders?: Record<string, ReminderEntry>;
  tasks?: Record<string, StoredTask>;
}

/** What a turn changed, as the JSON that will be written. */
export interface RecordChange {
  stateJson: string;
  extrasJson: string;
}

/**
 * The durable part of an instance: its state, the replies of its recent
 * state-changing calls, its reminders and its running tasks — everything
 * written together in one compare-and-set, so a turn commits or rolls back
 * as a whole. Keeps the last committed JSON to detect changes and roll back.
 */
export class InstanceRecord {
  state: unknown;
  // Created on first use: most instances have no reminders, tasks or remembered calls, and
  // a million idle instances must fit in a small heap.
  #reminders: Map<string, ReminderEntry> | undefined;
  #tasks: Map<string, StoredTask> | undefined;
  #calls: Map<string, StoredReply> | undefined;
  readonly #where: string;
  #stateJson = 'null';
  #extrasJson = NO_EXTRAS;
  #revision = 0;
  #dirty = false;
  #writing: Promise<void> | undefined;
  #closed = false;

  constructor(where: string) {
    this.#where = where;
  }

  get reminders(): Map<string, ReminderEntry> {
    this.#reminders ??= new Map();
    return this.#reminders;
  }

  get tasks(): Map<string, StoredTask> {
    this.#tasks ??= new Map();
    return this.#tasks;
  }

  get hasTasks(): boolean {
    return (this.#tasks?.size ?? 0) > 0;
  }

  get hasReminders(): boolean {
    return (this.#reminders?.size ?? 0) > 0;
  }

  /** Loads the stored record, or starts from `initial` when there is none. */
  async load(store: StateStore, key: string, initial: () => unknown): Promise<void> {
    let loaded;
    try {
      loaded = await store.load(key);
    } catch (cause) {
      throw new ColonyError('unavailable', `could not load the state of ${this.#where}: ${(cause as Error).message}`, {
        cause,
        retryAfterSeconds: 1,
      });
    }
    this.#revision = loaded.revision;
    if (loaded.record) {
      this.state = loaded.record.state;
      if (loaded.record.calls.length > 0) this.#calls = new Map(loaded.record.calls);
      this.#setExtras(loaded.record);
    } else {
      try {
        this.state = initial();
      } catch (cause) {
        throw new ColonyError('method_failed', `the state factory of ${this.#where} failed: ${(cause as Error).message}`, { cause });
      }
    }
    const change = this.change() ?? { stateJson: this.#stateJson, extrasJson: this.#extrasJson };
    this.#stateJson = change.stateJson;
    this.#extrasJson = change.extrasJson;
  }

  /** The stored reply of a call id seen before. */
  remembered(callId: string): StoredReply | undefined {
    return callId ? this.#calls?.get(callId) : undefined;
  }

  /**
   * What changed since the last commit, or undefined when nothing did.
   * Throws `method_failed` when the state cannot be turned into JSON.
   */
  change(): RecordChange | undefined {
    let stateJson: string;
    try {
      stateJson = JSON.stringify(this.state) ?? 'null';
    } catch (cause) {
      throw new ColonyError('method_failed', `the state of ${this.#where} is not JSON-serialisable: ${(cause as Error).message}`, { cause });
    }
    let extrasJson = NO_EXTRAS;
    if (this.hasReminders || this.hasTasks) {
      const extras: Extras = {};
      if (this.#reminders?.size) extras.reminders = Object.fromEntries(this.#reminders);
      if (this.#tasks?.size) extras.tasks = Object.fromEntries(this.#tasks);
      extrasJson = JSON.stringify(extras);
    }
    if (stateJson === this.#stateJson && extrasJson === this.#extrasJson) return undefined;
    return { stateJson, extrasJson };
  }

  /** Makes `change` the committed version, remembering `reply` under `callId`; it still has to be written. */
  accept(change: RecordChange, callId: string, reply: Reply, now: number): void {
    if (callId) {
      this.#calls ??= new Map();
      this.#calls.set(callId, { status: reply.status, body: reply.body, at: now });
      pruneCalls(this.#calls, now);
    }
    this.#stateJson = change.stateJson;
    this.#extrasJson = change.extrasJson;
    this.#dirty = true;
  }

  /** Puts state, reminders and tasks back as they were at the last commit. */
  rollback(): void {
    this.state = JSON.parse(this.#stateJson);
    this.#setExtras(this.#extrasJson === NO_EXTRAS ? {} : (JSON.parse(this.#extrasJson) as Extras));
  }

  #setExtras(extras: Extras): void {
    this.#reminders = extras.reminders ? new Map(Object.entries(extras.reminders)) : undefined;
    this.#tasks = extras.tasks ? new Map(Object.entries(extras.tasks)) : undefined;
  }

  /** What the partition's owner must know to wake this instance later. */
  wakeEntry(): WakeEntry {
    let reminderAt: number | null = null;
    for (const reminder of this.#reminders?.values() ?? []) {
      if (reminderAt === null || reminder.dueAt < reminderAt) reminderAt = reminder.dueAt;
    }
    return { reminderAt, tasks: this.hasTasks };
  }

  /** No write may happen any more (the activation was dropped). */
  close(): void {
    this.#closed = true;
  }

  /** Writes the committed version if it is not written yet; writes never overlap. */
  async flush(store: StateStore, key: string): Promise<void> {
    while (this.#writing) await this.#writing;
    if (!this.#dirty) return;
    if (this.#closed) {
      throw new ColonyError('unavailable', `${this.#where} was dropped by its pod before its state was written; retry the call`, {
        retryAfterSeconds: 1,
      });
    }
    this.#dirty = false;
    const json = encodeRecord(this.#stateJson, this.#calls ?? new Map(), this.#extrasJson);
    this.#writing = store.save(key, json, this.#revision).then(
      (revision) => {
        this.#revision = revision;
        this.#writing = undefined;
      },
      (error: unknown) => {
        this.#writing = undefined;
        throw error;
      },
    );
    await this.#writing;
  }
}
