import type { ReminderEntry } from '../reminders/reminder.ts';

/**
 * The value stored in KV for one instance: its state and the replies of the
 * most recent calls that changed it. Storing both in one write makes a retried
 * call (same call id) return the first reply instead of running twice, even
 * across a crash between the write and the reply.
 */
export interface StoredReply {
  /** `ok`, or an error code. */
  status: string;
  /** The reply body as JSON text; absent for an empty reply. */
  body?: string | undefined;
  /** When the call completed, ms since the epoch. */
  at: number;
  /** The call's method and input (activation/fingerprint.ts): a repeat must match it. Absent in records written before. */
  fp?: string | undefined;
  /**
   * The body was not kept (its size in bytes): it did not fit in the record
   * beside the state. A repeat of the call is answered `result_not_kept`.
   */
  omitted?: number | undefined;
}

/** A background task recorded as running; it is resumed after a move or a restart until it finishes. */
export interface StoredTask {
  input?: unknown;
  startedAt: number;
}

export interface StoredRecord {
  v: 1;
  state: unknown;
  calls: [callId: string, reply: StoredReply][];
  /** Durable reminders by name (see agent-runtime/reminders). */
  reminders?: Record<string, ReminderEntry>;
  /** Running background tasks by name. */
  tasks?: Record<string, StoredTask>;
  /** Events committed turns published, by event id, until they are in their topics (agent-runtime/events). */
  outbox?: Record<string, { topic: string; data: string; at: number }>;
  /**
   * Calls older than the window but within the TTL, newest first, written when
   * the instance was deactivated (idle, drain, a move) so that its next
   * activation still answers their repeats; dropped from the next write.
   */
  recent?: [callId: string, reply: StoredReply][];
}

/** How many call replies an instance remembers for deduplication. */
export const IDEMPOTENCY_WINDOW = 64;
/** How long a remembered reply stays valid, ms (the longest a call may be retried). */
export const IDEMPOTENCY_TTL_MS = 15 * 60_000;

/** Bytes of the JSON record around its parts: `{"v":1,"state":…,"calls":[…]}` and the comma before extras. */
export const RECORD_FRAME_BYTES = 26;

/**
 * Builds the stored JSON text from the JSON texts of its parts, without
 * serialising the state twice. `extrasJson` is `{"reminders":…,"tasks":…}` or `{}`.
 */
export function encodeRecord(stateJson: string, calls: Map<string, StoredReply>, extrasJson = '{}', recentJson?: string): string {
  const extras = extrasJson === '{}' ? '' : `,${extrasJson.slice(1, -1)}`;
  const recent = recentJson ? `,"recent":${recentJson}` : '';
  return `{"v":1,"state":${stateJson},"calls":${JSON.stringify([...calls])}${extras}${recent}}`;
}

export function decodeRecord(text: string, where: string): StoredRecord {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== 1) {
    throw new Error(`the stored record of ${where} has an unknown format (expected {"v":1,...})`);
  }
  const record = parsed as StoredRecord;
  if (!Array.isArray(record.calls)) record.calls = [];
  return record;
}

/**
 * Drops remembered replies beyond the window or older than the TTL; those
 * dropped only for the window (still within the TTL) go to `spill`.
 */
export function pruneCalls(calls: Map<string, StoredReply>, now: number, spill?: (id: string, reply: StoredReply) => void): void {
  for (const [id, reply] of calls) {
    const fresh = now - reply.at <= IDEMPOTENCY_TTL_MS;
    if (calls.size <= IDEMPOTENCY_WINDOW && fresh) break;
    calls.delete(id);
    if (fresh) spill?.(id, reply);
  }
}
