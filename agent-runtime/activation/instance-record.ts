import { ColonyError } from '../protocol/errors.ts';
import type { ReminderEntry } from '../reminders/reminder.ts';
import type { WakeEntry } from '../protocol/wake.ts';
import type { StateStore } from '../state/state-store.ts';
import { encodeRecord, IDEMPOTENCY_TTL_MS, pruneCalls, RECORD_FRAME_BYTES } from '../protocol/stored-record.ts';
import type { StoredReply, StoredTask } from '../protocol/stored-record.ts';
import { dueTime } from '../reminders/reminder.ts';
import type { Reply } from './reply.ts';
import { formatBytes, stateToJson, utf8Bytes } from './state-json.ts';

const NO_EXTRAS = '{}';

interface Extras {
  reminders?: Record<string, ReminderEntry>;
  tasks?: Record<string, StoredTask>;
  outbox?: Record<string, OutboxEvent>;
}

/** An event a turn published, stored with the state that turn committed until it is in its topic (events/outbox.ts). */
export interface OutboxEvent {
  topic: string;
  /** The event, as JSON. */
  data: string;
  /** When the turn committed, ms since the epoch. */
  at: number;
}

/** What a turn changed, as the JSON that will be written. */
export interface RecordChange {
  stateJson: string;
  extrasJson: string;
}

/** The reply of the call that made a change, remembered for its repeats (idempotency). */
export interface CommittedCall {
  callId: string;
  reply: Reply;
  /** The call's method and input (fingerprint.ts); absent for internal turns. */
  fingerprint?: string | undefined;
}

/** Calls remembered in memory, past the stored window, per active instance. */
const RECENT_CALLS = 20_000;
/** Longer reply bodies are not kept in memory: a repeat gets result_not_kept. */
const RECENT_BODY_CHARS = 512;

/** Still within the TTL at `now` (the activation's clock, the one `at` was taken with). */
function recentEnough(reply: StoredReply, now: number): boolean {
  return now - reply.at <= IDEMPOTENCY_TTL_MS;
}

/** Bytes a remembered reply takes in the record without its body (id, status, time, fingerprint, size). */
const REPLY_MARKER_BYTES = 96;

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
  /** Events of committed turns not yet known to be in their topics, by event id. */
  #outbox: Map<string, OutboxEvent> | undefined;
  /**
   * Replies of calls that left the stored window while still within the TTL,
   * kept in memory while the instance stays active (RECENT_CALLS): a repeat
   * of a call made hundreds of calls ago — a workflow's fan-out sending its
   * activities again after a crash — still runs once.
   */
  #recent: Map<string, StoredReply> | undefined;
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

  /** Adds a turn's events to the outbox: they are written with its state, then published. */
  stage(events: ReadonlyMap<string, OutboxEvent>): void {
    this.#outbox ??= new Map();
    for (const [id, event] of events) this.#outbox.set(id, event);
  }

  /** True while events written with the state are not yet known to be published. */
  get hasOutbox(): boolean {
    return this.#outbox !== undefined;
  }

  /** Events written and not yet known to be published, oldest first. */
  outbox(): [string, OutboxEvent][] {
    return [...(this.#outbox ?? [])];
  }

  /** These events are in their topics: the next write of the record leaves them out. */
  published(ids: readonly string[]): void {
    for (const id of ids) this.#outbox?.delete(id);
    if (this.#outbox?.size === 0) this.#outbox = undefined;
  }

  /** Loads the stored record, or starts from `initial` when there is none. */
  async load(store: StateStore, key: string, initial: () => unknown, now: number): Promise<void> {
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
      if (loaded.record.recent?.length) this.#recent = new Map(loaded.record.recent.filter(([, reply]) => recentEnough(reply, now)).reverse());
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

  /**
   * The state and reminders as last committed, as fresh values: what an admin
   * read sees, whatever a running turn has changed and not committed yet.
   */
  committed(): { state: unknown; reminders: Record<string, ReminderEntry> } {
    const extras = this.#extrasJson === NO_EXTRAS ? {} : (JSON.parse(this.#extrasJson) as Extras);
    return { state: JSON.parse(this.#stateJson), reminders: extras.reminders ?? {} };
  }

  /** The replies kept for repeats (the stored window), oldest first: what an admin read shows as recent calls. */
  keptCalls(): [string, StoredReply][] {
    return [...(this.#calls ?? [])];
  }

  /** The stored reply of a call id seen before (a recent one only while it is within the TTL at `now`). */
  remembered(callId: string, now: number): StoredReply | undefined {
    if (!callId) return undefined;
    const stored = this.#calls?.get(callId);
    if (stored) return stored;
    const recent = this.#recent?.get(callId);
    return recent && recentEnough(recent, now) ? recent : undefined;
  }

  /**
   * What changed since the last commit, or undefined when nothing did.
   * Throws `method_failed` when the state cannot be turned into JSON.
   */
  change(): RecordChange | undefined {
    const stateJson = stateToJson(this.state, this.#where);
    let extrasJson = NO_EXTRAS;
    if (this.hasReminders || this.hasTasks || this.#outbox?.size) {
      const extras: Extras = {};
      if (this.#reminders?.size) extras.reminders = Object.fromEntries(this.#reminders);
      if (this.#tasks?.size) extras.tasks = Object.fromEntries(this.#tasks);
      if (this.#outbox?.size) extras.outbox = Object.fromEntries(this.#outbox);
      extrasJson = JSON.stringify(extras);
    }
    if (stateJson === this.#stateJson && extrasJson === this.#extrasJson) return undefined;
    return { stateJson, extrasJson };
  }

  /**
   * Makes `change` the committed version, remembering the call's reply; it
   * still has to be written. The record must fit in `limitBytes` (one KV
   * value): remembered replies give up their bodies, largest first, before it
   * would not (a repeat of such a call is answered `result_not_kept`, never
   * run again); state that does not fit even so is refused with
   * `state_too_large`, and nothing changes.
   */
  accept(change: RecordChange, call: CommittedCall | undefined, now: number, limitBytes: number): void {
    const fixedBytes = RECORD_FRAME_BYTES + utf8Bytes(change.stateJson) + utf8Bytes(change.extrasJson);
    const ids = [...(this.#calls?.keys() ?? [])];
    if (call?.callId && !this.#calls?.has(call.callId)) ids.push(call.callId);
    const markerBytes = ids.reduce((sum, id) => sum + utf8Bytes(id) + REPLY_MARKER_BYTES, 0);
    if (fixedBytes + markerBytes > limitBytes) {
      throw new ColonyError(
        'state_too_large',
        `the state of ${this.#where} would take ${formatBytes(fixedBytes + markerBytes)} stored, over the limit of ${formatBytes(limitBytes)} per instance (the NATS server's max_payload); the turn was rolled back. Keep less in one instance: split it over more keys, or keep large data elsewhere`,
      );
    }
    if (call?.callId) {
      this.#calls ??= new Map();
      this.#calls.set(call.callId, { status: call.reply.status, body: call.reply.body, at: now, ...(call.fingerprint ? { fp: call.fingerprint } : {}) });
      pruneCalls(this.#calls, now, (id, reply) => this.#keepRecent(id, reply, now));
    }
    if (this.#calls) fitReplies(this.#calls, limitBytes - fixedBytes);
    this.#stateJson = change.stateJson;
    this.#extrasJson = change.extrasJson;
    this.#dirty = true;
  }

  /** The newest recent calls, as JSON, within what the record has room for. */
  #recentJson(limitBytes: number, now: number): string | undefined {
    let room = limitBytes - utf8Bytes(encodeRecord(this.#stateJson, this.#calls ?? new Map(), this.#extrasJson)) - 16;
    const parts: string[] = [];
    for (const [id, reply] of [...(this.#recent ?? [])].reverse()) {
      if (!recentEnough(reply, now)) break;
      const part = JSON.stringify([id, reply]);
      room -= utf8Bytes(part) + 1;
      if (room < 0) break;
      parts.push(part);
    }
    return parts.length > 0 ? `[${parts.join(',')}]` : undefined;
  }

  #keepRecent(id: string, reply: StoredReply, now: number): void {
    this.#recent ??= new Map();
    const kept: StoredReply = reply.body !== undefined && reply.body.length > RECENT_BODY_CHARS ? { status: reply.status, at: reply.at, fp: reply.fp, omitted: utf8Bytes(reply.body) } : reply;
    this.#recent.set(id, kept);
    for (const [oldest, old] of this.#recent) {
      if (this.#recent.size <= RECENT_CALLS && recentEnough(old, now)) break;
      this.#recent.delete(oldest);
    }
  }

  /** Remembers a call's reply without any change of state (a call refused before it ran); it still has to be written. */
  remember(call: CommittedCall, now: number, limitBytes: number): void {
    this.accept({ stateJson: this.#stateJson, extrasJson: this.#extrasJson }, call, now, limitBytes);
  }

  /** Puts state, reminders and tasks back as they were at the last commit. */
  rollback(): void {
    this.state = JSON.parse(this.#stateJson);
    this.#setExtras(this.#extrasJson === NO_EXTRAS ? {} : (JSON.parse(this.#extrasJson) as Extras));
  }

  #setExtras(extras: Extras): void {
    this.#reminders = extras.reminders ? new Map(Object.entries(extras.reminders)) : undefined;
    this.#tasks = extras.tasks ? new Map(Object.entries(extras.tasks)) : undefined;
    this.#outbox = extras.outbox ? new Map(Object.entries(extras.outbox)) : undefined;
  }

  /** What the partition's owner must know to wake this instance later. */
  wakeEntry(): WakeEntry {
    let reminderAt: number | null = null;
    for (const reminder of this.#reminders?.values() ?? []) {
      const at = dueTime(reminder);
      if (reminderAt === null || at < reminderAt) reminderAt = at;
    }
    return { reminderAt, tasks: this.hasTasks };
  }

  /** No write may happen any more (the activation was dropped). */
  close(): void {
    this.#closed = true;
  }

  /**
   * Writes the committed version if it is not written yet; writes never
   * overlap. `withRecent` (deactivation): the recent calls kept in memory go
   * along, as many of the newest as fit and are within the TTL at `now`, for
   * the next activation.
   */
  async flush(store: StateStore, key: string, options: { withRecent?: { limitBytes: number; now: number } } = {}): Promise<void> {
    while (this.#writing) await this.#writing;
    const { withRecent } = options;
    const recentJson = withRecent && this.#recent?.size ? this.#recentJson(withRecent.limitBytes, withRecent.now) : undefined;
    if (!this.#dirty && !recentJson) return;
    if (this.#closed) {
      throw new ColonyError('unavailable', `${this.#where} was dropped by its pod before its state was written; retry the call`, {
        retryAfterSeconds: 1,
      });
    }
    this.#dirty = false;
    const json = encodeRecord(this.#stateJson, this.#calls ?? new Map(), this.#extrasJson, recentJson);
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

/**
 * Drops the bodies of remembered replies, largest first, until they take at
 * most `budgetBytes` in the record; each keeps a marker with its size, so a
 * repeat is still recognised. Counts exactly only when a cheap upper bound
 * (18 bytes per character: UTF-8 and JSON escaping) says it might not fit.
 */
function fitReplies(calls: Map<string, StoredReply>, budgetBytes: number): void {
  let chars = 2;
  for (const [id, reply] of calls) chars += id.length + (reply.body?.length ?? 0) + (reply.fp?.length ?? 0) + 64;
  if (chars * 18 <= budgetBytes) return;
  let bytes = utf8Bytes(JSON.stringify([...calls]));
  if (bytes <= budgetBytes) return;
  const bySize = [...calls].filter(([, reply]) => reply.body !== undefined).sort((a, b) => (b[1].body?.length ?? 0) - (a[1].body?.length ?? 0));
  for (const [id, reply] of bySize) {
    const body = reply.body as string;
    const marker: StoredReply = { status: reply.status, at: reply.at, ...(reply.fp ? { fp: reply.fp } : {}), omitted: utf8Bytes(body) };
    calls.set(id, marker);
    bytes -= utf8Bytes(JSON.stringify(reply)) - utf8Bytes(JSON.stringify(marker));
    if (bytes <= budgetBytes) return;
  }
}
