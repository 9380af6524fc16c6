/**
 * Durable reminders, stored with the instance's state (one write, so setting
 * or cancelling a reminder commits or rolls back with the turn that did it).
 */
export interface ReminderEntry {
  /** The method to call on the instance when the reminder is due. */
  method: string;
  input?: unknown;
  /** When it is due next, ms since the epoch. */
  dueAt: number;
  /** Period of a periodic reminder, ms; absent for a one-shot. */
  everyMs?: number;
  /** Fires of `dueAt` that failed so far (their turns rolled back); absent when none did. */
  failures?: number;
  /** After a failed fire: when it is tried again (backoff); the fire keeps its `dueAt` and call id. */
  retryAt?: number;
  /** A workflow instance's durable timer for its step `step` (no method: the run takes it). */
  step?: number;
  /** A finished workflow instance's retention ran out: it is purged (no method). */
  purge?: true;
}

/** When the reminder should fire next: its due time, or the time of its retry after a failure. */
export function dueTime(entry: ReminderEntry): number {
  return entry.retryAt ?? entry.dueAt;
}

/**
 * The entry after its fire failed at `now`: tried again after a capped
 * exponential backoff (reminderRetryDelayMs), counted, kept durably with the
 * reminder so that a restart or a move does not start the backoff over.
 */
export function afterFailedFire(entry: ReminderEntry, now: number): ReminderEntry {
  const failures = (entry.failures ?? 0) + 1;
  return { ...entry, failures, retryAt: now + reminderRetryDelayMs(failures) };
}

/** The smallest period a periodic reminder may have. */
export const MIN_REMINDER_PERIOD_MS = 100;

/**
 * The due time after a reminder fired at `firedAt` for `dueAt`: a one-shot
 * has none. A periodic reminder's missed fires collapse into the one that
 * just ran: the next is the first time on its schedule after `firedAt`.
 */
export function nextDueAfterFire(entry: ReminderEntry, firedAt: number): number | undefined {
  if (entry.everyMs === undefined) return undefined;
  const periods = Math.floor((firedAt - entry.dueAt) / entry.everyMs) + 1;
  return entry.dueAt + Math.max(1, periods) * entry.everyMs;
}

/** The call id of the fire of `name` due at `dueAt`: a retried or repeated fire runs once. */
export function reminderCallId(name: string, dueAt: number): string {
  return `reminder:${name}:${dueAt}`;
}

/** Backoff before retrying a reminder whose method failed, by attempt (1, 2, ...): 0.5 s, 1 s, 2 s … at most 60 s. */
export function reminderRetryDelayMs(attempt: number): number {
  return Math.min(60_000, 500 * 2 ** Math.max(0, attempt - 1));
}
