import type { ErrorBody } from './errors.ts';
import type { HistoryStep, JournalEntry, StepKind, WorkflowHistory, WorkflowSummary } from './workflow.ts';

/** What the journal says of a step that has no `done` entry yet: its timer, its failed attempts. */
interface Pending {
  firstAt: number;
  timer: boolean;
  /** The step's kind and name, when its entries say (entries written before they did, do not). */
  step?: StepKind | undefined;
  name?: string | undefined;
  attempts: number;
  error: ErrorBody | undefined;
}

/**
 * The kind a waiting step is shown with. `timer` and `retry` entries name
 * only the step's number: a step with a durable timer is a `ctx.sleep` (or a
 * `waitForEvent` with a timeout), a step retried is an effect (an activity,
 * or a call or send to an instance).
 */
function pendingKind(pending: Pending): StepKind {
  return pending.step ?? (pending.timer ? 'sleep' : 'activity');
}

function doneStep(entry: Extract<JournalEntry, { t: 'done' }>): HistoryStep {
  const step: HistoryStep = {
    step: entry.k,
    kind: entry.step,
    name: entry.name,
    status: entry.ok ? 'completed' : 'failed',
    scheduledAt: entry.started,
    completedAt: entry.at,
    durationMs: Math.max(0, entry.at - entry.started),
    attempts: entry.attempts ?? 1,
  };
  if (entry.ok) {
    if (entry.value !== undefined) step.value = entry.value;
  } else {
    step.error = entry.error;
  }
  return step;
}

function waitingStep(k: number, pending: Pending): HistoryStep {
  const step: HistoryStep = { step: k, kind: pendingKind(pending), name: pending.name ?? '', status: 'waiting', scheduledAt: pending.firstAt };
  if (pending.attempts > 0) step.attempts = pending.attempts;
  // The error of its last failed attempt: why it waits to be tried again.
  if (pending.error) step.error = pending.error;
  return step;
}

/**
 * A run's journal, as GET …/history shows it: every step in step order
 * (completed or failed with its `done` entry; `waiting` while it has only a
 * timer or failed attempts), the events that arrived, and how the run ended.
 * `patch` markers are not shown. A waiting step's kind and name come from its
 * timer and retry entries (inferred for journals written before they said).
 */
export function historyOf(summary: Pick<WorkflowSummary, 'id' | 'workflow' | 'run'>, messages: readonly (readonly JournalEntry[])[]): WorkflowHistory {
  const done = new Map<number, HistoryStep>();
  const pending = new Map<number, Pending>();
  const events: WorkflowHistory['events'] = [];
  let end: WorkflowHistory['end'];
  for (const message of messages) {
    for (const entry of message) {
      switch (entry.t) {
        case 'done':
          done.set(entry.k, doneStep(entry));
          break;
        case 'timer':
        case 'retry': {
          const known = pending.get(entry.k) ?? { firstAt: entry.at, timer: false, attempts: 0, error: undefined };
          known.firstAt = Math.min(known.firstAt, entry.at);
          if (entry.step) known.step = entry.step;
          if (entry.name !== undefined) known.name = entry.name;
          if (entry.t === 'timer') known.timer = true;
          else if (entry.attempt >= known.attempts) {
            known.attempts = entry.attempt;
            known.error = entry.error;
          }
          pending.set(entry.k, known);
          break;
        }
        case 'event':
          events.push({ name: entry.name, at: entry.at });
          break;
        case 'end':
          end = { status: entry.status, at: entry.at };
          break;
        case 'patch':
          break;
      }
    }
  }
  for (const [k, waiting] of pending) if (!done.has(k)) done.set(k, waitingStep(k, waiting));
  const steps = [...done.values()].sort((a, b) => a.step - b.step);
  return { id: summary.id, workflow: summary.workflow, run: summary.run, steps, events, ...(end ? { end } : {}) };
}
