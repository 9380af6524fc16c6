import { ColonyError } from '../protocol/errors.ts';
import type { ReminderEntry } from '../reminders/reminder.ts';
import type { WakeEntry } from '../reminders/wake-index.ts';
import type { StateStore } from '../state/state-store.ts';
import { encodeRecord, pruneCalls } from '../state/stored-record.ts';
import type { StoredReply, StoredTask } from '../state/stored-record.ts';
import type { Reply } from './reply.ts';

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
  reminders = new Map<string, ReminderEntry>();
  tasks = new Map<string, StoredTask>();
  readonly #calls = new Map<string, StoredReply>();
  readonly #where: string;
  #stateJson = 'null';
  #extrasJson = '{}';
  #revision = 0;
  #dirty = false;
  #writing: Promise<void> | undefined;
  #closed = false;

  constructor(where: string) {
    this.#where = where;
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
      for (const [id, reply] of loaded.record.calls) this.#calls.set(id, reply);
      this.reminders = new Map(Object.entries(loaded.record.reminders ?? {}));
      this.tasks = new Map(Object.entries(loaded.record.tasks ?? {}));
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
    return callId ? this.#calls.get(callId) : undefined;
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
    const extras: { reminders?: Record<string, ReminderEntry>; tasks?: Record<string, StoredTask> } = {};
    if (this.reminders.size > 0) extras.reminders = Object.fromEntries(this.reminders);
    if (this.tasks.size > 0) extras.tasks = Object.fromEntries(this.tasks);
    const extrasJson = JSON.stringify(extras);
    if (stateJson === this.#stateJson && extrasJson === this.#extrasJson) return undefined;
    return { stateJson, extrasJson };
  }

  /** Makes `change` the committed version, remembering `reply` under `callId`; it still has to be written. */
  accept(change: RecordChange, callId: string, reply: Reply, now: number): void {
    if (callId) {
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
    const extras = JSON.parse(this.#extrasJson) as { reminders?: Record<string, ReminderEntry>; tasks?: Record<string, StoredTask> };
    this.reminders = new Map(Object.entries(extras.reminders ?? {}));
    this.tasks = new Map(Object.entries(extras.tasks ?? {}));
  }

  /** What the partition's owner must know to wake this instance later. */
  wakeEntry(): WakeEntry {
    let reminderAt: number | null = null;
    for (const reminder of this.reminders.values()) {
      if (reminderAt === null || reminder.dueAt < reminderAt) reminderAt = reminder.dueAt;
    }
    return { reminderAt, tasks: this.tasks.size > 0 };
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
    const json = encodeRecord(this.#stateJson, this.#calls, this.#extrasJson);
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
