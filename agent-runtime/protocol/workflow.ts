/**
 * The durable-workflow protocol shared by runtime pods, the gateway and the
 * CLI: what a workflow instance's record holds, the management verbs sent to
 * it, and what its journal is made of.
 *
 * - A workflow is an Agent whose module exports a `defineWorkflow` value;
 *   each workflow instance is an instance of it (key = the workflow id),
 *   placed, fenced and scaled like any instance.
 * - Management verbs travel as calls with `Colony-Op: workflow` and the verb
 *   as the method (WORKFLOW_VERBS: start, event, terminate, suspend, resume,
 *   purge, and childDone, which a child sends its parent); the input and the
 *   reply are JSON, as for any call.
 * - An instance's record (state = WorkflowSummary) lives in the KV bucket
 *   WORKFLOW_BUCKET under stateKey(namespace, workflow, id), so GET and list
 *   read it without waking the instance.
 * - Its journal is the JetStream stream JOURNAL_STREAM, one subject per run
 *   (journalSubject), each message a JSON array of JournalEntry.
 */
import type { ErrorBody } from './errors.ts';

export const WORKFLOW_STATUSES = ['running', 'suspended', 'completed', 'failed', 'terminated'] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

/** Statuses from which a workflow never runs again (it can only be purged). */
export const FINISHED_STATUSES: readonly WorkflowStatus[] = ['completed', 'failed', 'terminated'];

export function isFinished(status: WorkflowStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

/** What GET /v1/workflows/{workflow}/{id} answers: the state of a workflow instance's record. */
export interface WorkflowSummary {
  id: string;
  workflow: string;
  status: WorkflowStatus;
  input: unknown;
  output?: unknown;
  error?: ErrorBody | undefined;
  customStatus?: unknown;
  /** ms since the epoch */
  createdAt: number;
  updatedAt: number;
  /** Runs so far: 1, and one more for each continueAsNew. */
  run: number;
  /** Why it was terminated, when it was. */
  reason?: string | undefined;
  /** The workflow that started this one as a child: it is told when this one finishes. */
  parent?: WorkflowRef | undefined;
}

/**
 * A workflow instance as GET /v1/workflows/{workflow}/{id} and the list show
 * it: every field present, null when unset; `I` and `O` its input and output
 * (the typed client, colony/client, reads them from the workflow's body).
 */
export interface WorkflowView<I = unknown, O = unknown> {
  id: string;
  workflow: string;
  status: WorkflowStatus;
  input: I | null;
  /** Set once it completed. */
  output: O | null;
  /** Set once it failed. */
  error: ErrorBody | null;
  customStatus: unknown;
  /** ms since the epoch */
  createdAt: number;
  updatedAt: number;
  /** 1, and one more for each continueAsNew. */
  run: number;
  /** Why it was terminated, when it was. */
  reason?: string;
}

export interface WorkflowRef {
  namespace: string;
  workflow: string;
  id: string;
  /** The parent's step that waits for this child. */
  step: number;
}

/** Management verbs: the method of a call with `Colony-Op: workflow`. */
export const WORKFLOW_VERBS = ['start', 'event', 'terminate', 'suspend', 'resume', 'purge', 'childDone'] as const;
export type WorkflowVerb = (typeof WORKFLOW_VERBS)[number];

export interface StartInput {
  input?: unknown;
  /** Set when a parent workflow starts this one as its child. */
  parent?: WorkflowRef | undefined;
}

export interface EventInput {
  name: string;
  payload?: unknown;
}

export interface TerminateInput {
  reason?: string;
}

/** What the child tells its parent when it finishes (verb `childDone`). */
export interface ChildDoneInput {
  step: number;
  child: { workflow: string; id: string };
  status: WorkflowStatus;
  output?: unknown;
  error?: ErrorBody | undefined;
}

/** The reply of start, event, terminate, suspend and resume. */
export interface VerbReply {
  id: string;
  workflow: string;
  status: WorkflowStatus;
}

/** Kinds of steps a workflow body takes; each is journaled when it completes. */
export const STEP_KINDS = ['activity', 'call', 'send', 'sleep', 'event', 'child', 'now', 'random', 'uuid'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * One entry of a workflow run's journal.
 * - `done`: step `k` (the k-th step the body took, from 0) completed: with a
 *   value, or with an error (after its last attempt). `started` is when it was
 *   first scheduled.
 * - `timer`: step `k`, a durable timer, was set for `due` (kept so a replay
 *   waits for the same time).
 * - `retry`: an attempt of step `k` failed; attempt `attempt + 1` runs at `at + delayMs`.
 * - `event`: an external event arrived (it waits here until a step takes it).
 * - `patch`: `patched(id)` was first asked before step `k`: the run takes the new code path.
 * - `end`: the run ended (completed, failed, terminated, or continued as new).
 */
export type JournalEntry =
  | { t: 'done'; k: number; step: StepKind; name: string; ok: true; value?: unknown; started: number; at: number; attempts?: number }
  | { t: 'done'; k: number; step: StepKind; name: string; ok: false; error: ErrorBody; started: number; at: number; attempts?: number }
  | { t: 'timer'; k: number; due: number; at: number; step?: StepKind; name?: string }
  | { t: 'retry'; k: number; attempt: number; error: ErrorBody; delayMs: number; at: number; step?: StepKind; name?: string }
  | { t: 'event'; name: string; payload?: unknown; at: number; id?: string }
  | { t: 'patch'; id: string; k: number; at: number }
  | { t: 'end'; status: WorkflowStatus | 'continued'; value?: unknown; error?: ErrorBody | undefined; reason?: string; at: number };

/** One step as GET …/history shows it. */
export interface HistoryStep {
  step: number;
  kind: StepKind;
  name: string;
  status: 'completed' | 'failed' | 'waiting';
  scheduledAt: number;
  completedAt?: number;
  durationMs?: number;
  attempts?: number;
  value?: unknown;
  error?: ErrorBody;
}

/** GET …/history: the journal of the current run, step by step, and what else arrived. */
export interface WorkflowHistory {
  id: string;
  workflow: string;
  run: number;
  steps: HistoryStep[];
  events: { name: string; at: number }[];
  end?: { status: WorkflowStatus | 'continued'; at: number } | undefined;
}

/** GET /v1/workflows/{workflow}?status=&limit=&cursor= */
export interface WorkflowPage {
  workflows: WorkflowSummary[];
  /** Pass back as `cursor` for the next page; absent on the last one. */
  next?: string | undefined;
}
