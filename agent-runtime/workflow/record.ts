import type { Activation } from '../activation/activation.ts';
import type { InstanceRecord } from '../activation/instance-record.ts';
import { errorField } from '../observability/log.ts';
import type { ChildDoneInput, WorkflowSummary } from '../protocol/workflow.ts';
import type { RunEnd } from './run-deps.ts';
import type { WorkflowDeps } from './workflow-deps.ts';

/** Reminders of a workflow instance's durable timers: `step:<k>`. */
const STEP_TIMER_PREFIX = 'step:';
/** The reminder that purges a finished instance once its retention is over. */
const RETENTION_REMINDER = 'retention';

/** Sets the durable timer of step `k` (in a turn: the record's reminders). */
export function setStepTimer(record: InstanceRecord, k: number, due: number): void {
  record.reminders.set(`${STEP_TIMER_PREFIX}${k}`, { method: '', dueAt: due, step: k });
}

/** Removes the durable timer of step `k` (in a turn). */
export function cancelStepTimer(record: InstanceRecord, k: number): void {
  record.reminders.delete(`${STEP_TIMER_PREFIX}${k}`);
}

/** Removes every step timer (the run ended). */
function clearStepTimers(record: InstanceRecord): void {
  for (const name of [...record.reminders.keys()]) if (name.startsWith(STEP_TIMER_PREFIX)) record.reminders.delete(name);
}

/** The instance finished (completed, failed, terminated), in a turn: its step timers go, and it is purged at `purgeAt`. */
export function retire(record: InstanceRecord, purgeAt: number): void {
  clearStepTimers(record);
  record.reminders.set(RETENTION_REMINDER, { method: '', dueAt: purgeAt, purge: true });
}

/** The record's summary after a run's body ended (in a turn, which also clears the run's timers). */
export function endedSummary(current: WorkflowSummary, end: RunEnd, activation: Activation, retentionMs: number): WorkflowSummary {
  const now = activation.deps.now();
  if (end.status === 'continued') {
    clearStepTimers(activation.record);
    return { ...current, status: 'running', run: current.run + 1, input: end.input, output: undefined, error: undefined, updatedAt: now };
  }
  retire(activation.record, now + retentionMs);
  return end.status === 'completed'
    ? { ...current, status: 'completed', output: end.output, error: undefined, updatedAt: now }
    : { ...current, status: 'failed', error: end.error, updatedAt: now };
}

/** Tells the parent of a finished child how it ended; the parent also reads the child's record when it replays, so this is best effort. */
export async function notifyParent(deps: WorkflowDeps, activation: Activation, summary: WorkflowSummary): Promise<void> {
  const parent = summary.parent;
  if (!parent) return;
  const input: ChildDoneInput = { step: parent.step, child: { workflow: summary.workflow, id: summary.id }, status: summary.status, output: summary.output, error: summary.error };
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    try {
      await deps.caller.call({
        agent: parent.workflow,
        key: parent.id,
        method: 'childDone',
        op: 'workflow',
        input,
        deadline: Date.now() + 10_000,
        callId: `child-done:${summary.workflow}/${summary.id}:${summary.run}`,
        chain: `child-done:${summary.workflow}/${summary.id}`,
        depth: 1,
        oneway: false,
        caller: activation.address,
      });
      return;
    } catch (error) {
      if (attempt === 5) activation.deps.log.warn(`could not tell parent ${parent.workflow}/${parent.id} that ${activation.address} ended; it finds out when it replays`, errorField(error));
      else await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}
