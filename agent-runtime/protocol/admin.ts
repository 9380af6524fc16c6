import type { ReminderEntry } from '../reminders/reminder.ts';
import { ColonyError } from './errors.ts';
import type { StoredReply } from './stored-record.ts';

/**
 * Admin operations on one instance: calls with `Colony-Op: admin` and the
 * verb as the method, sent to the instance's partition like any call.
 * - `read`: its state and reminders as last committed, without activating it
 *   (from memory when it is active, else from its stored record);
 * - `put`: its state becomes the input — a turn;
 * - `reset`: its state becomes the Agent's initial state and its reminders
 *   are cancelled — a turn;
 * - `cancel-reminder`: the reminder the input names (`{"name"}`) is cancelled — a turn.
 * The writes are turns of the instance: compare-and-set on its record
 * (fencing), remembered under their call id (idempotency), with the wake-up
 * index kept right as for any turn that changes reminders.
 */
export const ADMIN_VERBS = ['read', 'put', 'reset', 'cancel-reminder'] as const;
export type AdminVerb = (typeof ADMIN_VERBS)[number];

export function isAdminVerb(value: string): value is AdminVerb {
  return (ADMIN_VERBS as readonly string[]).includes(value);
}

/** The input of `cancel-reminder`. */
export interface CancelReminderInput {
  name: string;
}

/** A durable reminder as the admin API shows it. */
export interface ReminderView {
  name: string;
  /** The method it calls. */
  method: string;
  /** When it is due, ms since the epoch. */
  dueAt: number;
  /** Period of a periodic reminder, ms. */
  everyMs?: number;
  /** The input its method gets. */
  input?: unknown;
  /** Fires of `dueAt` that failed so far. */
  failures?: number;
  /** After a failed fire: when it is tried again. */
  retryAt?: number;
}

/** One of the calls whose replies an instance keeps for repeats (its last state-changing calls), as the admin API shows it. */
export interface CallView {
  callId: string;
  /** The method called (`admin:<verb>` for an admin write); absent when the record does not say (kept before Colony recorded it). */
  method?: string;
  /** `ok`, or the error code it answered. */
  status: string;
  /** When it completed, ms since the epoch. */
  at: number;
}

/** An instance's state, reminders and recent calls, as `read` answers them. */
export interface InstanceView {
  agent: string;
  key: string;
  /** In memory on a pod now (else read from its stored record). */
  active: boolean;
  state: unknown;
  reminders: ReminderView[];
  /** The calls whose replies it keeps (IDEMPOTENCY_WINDOW at most), newest first. */
  calls: CallView[];
}

/** A read of an instance that is neither in memory nor stored. */
export function noStoredStateError(agent: string, key: string): ColonyError {
  return new ColonyError(
    'not_found',
    `${agent}/${key} has no stored state: it was never called (its state is the Agent's initial state until it is), or its Agent keeps none (durability: none) and it is not in memory`,
  );
}

/** An admin operation on an instance of a workflow, whose instances are managed with /v1/workflows. */
export function workflowAdminError(agent: string): ColonyError {
  return new ColonyError('failed_precondition', `${agent} is a workflow: manage its instances with /v1/workflows/${agent}/… (colony workflow), not with the admin operations of agents`);
}

/** The reminders of a record, by name, as views sorted by name. */
export function reminderViews(reminders: Readonly<Record<string, ReminderEntry>> | undefined): ReminderView[] {
  return Object.entries(reminders ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, entry]) => {
      const view: ReminderView = { name, method: entry.method, dueAt: entry.dueAt };
      if (entry.everyMs !== undefined) view.everyMs = entry.everyMs;
      if (entry.input !== undefined) view.input = entry.input;
      if (entry.failures !== undefined) view.failures = entry.failures;
      if (entry.retryAt !== undefined) view.retryAt = entry.retryAt;
      return view;
    });
}

/**
 * The kept replies of a record (oldest first, as it stores them) as views,
 * newest first. The method comes from the reply's fingerprint,
 * `<method>:<hash>` (activation/fingerprint.ts; the hash is base64url, so the
 * method is what precedes the last colon).
 */
export function callViews(calls: readonly (readonly [string, StoredReply])[]): CallView[] {
  return calls.toReversed().map(([callId, reply]) => {
    const view: CallView = { callId, status: reply.status, at: reply.at };
    const cut = reply.fp?.lastIndexOf(':') ?? -1;
    if (reply.fp !== undefined && cut > 0) view.method = reply.fp.slice(0, cut);
    return view;
  });
}

/** Instances a list page holds unless `limit` says otherwise, and the most it may say. */
export const DEFAULT_INSTANCE_PAGE = 100;
export const MAX_INSTANCE_PAGE = 1_000;

/** What the gateway asks each pod of an Agent (on instanceListSubject): its active instances' keys after `after`. */
export interface ActiveInstancesQuery {
  /** The page starts after this key (in the order of `compareKeys`). */
  after?: string | undefined;
  limit: number;
}

/** A pod's answer to ActiveInstancesQuery. */
export interface ActiveInstancesAnswer {
  pod: string;
  /** The first `limit` keys after `after`, in order. */
  keys: string[];
  /** The pod has more keys after the last of these. */
  more: boolean;
}

/** The order of instance lists: by key, compared as JavaScript strings (UTF-16 code units), on the pods and in the gateway alike. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One page of `keys` (in any order): the first `limit` after `after`, in
 * order, and whether more follow. Pages taken with the last key of each
 * page as the next `after` list every key that stays, once.
 */
export function pageOfKeys(keys: Iterable<string>, after: string | undefined, limit: number): { keys: string[]; more: boolean } {
  const sorted = [...new Set(keys)].filter((key) => after === undefined || key > after).sort(compareKeys);
  return { keys: sorted.slice(0, limit), more: sorted.length > limit };
}
