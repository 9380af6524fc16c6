import type { Activation } from '../activation/activation.ts';
import type { TurnContext } from '../activation/turn-context.ts';
import { ColonyError } from '../protocol/errors.ts';
import { isFinished, WORKFLOW_VERBS } from '../protocol/workflow.ts';
import type { ChildDoneInput, EventInput, StartInput, TerminateInput, VerbReply, WorkflowSummary, WorkflowVerb } from '../protocol/workflow.ts';
import type { WorkflowInstance } from './instance.ts';
import { retire } from './record.ts';

/** A management verb, as one turn of the workflow instance: what it answers, and what runs once its change committed. */
export interface VerbOutcome {
  reply: VerbReply | { id: string; workflow: string; purged: true };
  afterCommit?: (() => Promise<void> | void) | undefined;
}

/** What suspend and resume change: from which status to which (the other finds it so already), and the word for it. */
const PAUSE = {
  suspend: { from: 'running', to: 'suspended', done: 'suspended' },
  resume: { from: 'suspended', to: 'running', done: 'resumed' },
} as const;

export function isWorkflowVerb(method: string): method is WorkflowVerb {
  return (WORKFLOW_VERBS as readonly string[]).includes(method);
}

/**
 * Applies a verb to the instance's record (the turn's state, its summary),
 * deciding from its status what may happen; the run acts after the record
 * is durable. Events are journaled inside the turn, so their 202 means stored.
 */
export async function applyVerb(
  activation: Activation,
  instance: WorkflowInstance,
  verb: WorkflowVerb,
  input: unknown,
  ctx: TurnContext,
  retentionMs: number,
): Promise<VerbOutcome> {
  const workflow = activation.deps.agent.name;
  const id = activation.key;
  const now = activation.deps.now();
  const current = ctx.state as WorkflowSummary | null;
  const reply = (summary: WorkflowSummary): VerbReply => ({ id, workflow, status: summary.status });
  if (verb === 'start') {
    const start = (input ?? {}) as StartInput;
    if (current) {
      // A parent starting its child again (its step replayed): the child it started before.
      if (start.parent && current.parent?.id === start.parent.id && current.parent.step === start.parent.step) return { reply: reply(current) };
      throw new ColonyError('already_exists', `workflow ${workflow}/${id} exists already (${current.status}, started ${new Date(current.createdAt).toISOString()}); use another id, or purge it first`);
    }
    const summary: WorkflowSummary = { id, workflow, status: 'running', input: start.input ?? null, createdAt: now, updatedAt: now, run: 1, ...(start.parent ? { parent: start.parent } : {}) };
    ctx.state = summary;
    return { reply: reply(summary), afterCommit: () => instance.open(true) };
  }
  if (verb === 'childDone') {
    const done = input as ChildDoneInput;
    if (!current || isFinished(current.status)) return { reply: { id, workflow, status: current?.status ?? 'completed' } };
    return { reply: reply(current), afterCommit: () => instance.childDone(done.step, { status: done.status, output: done.output, error: done.error }) };
  }
  if (!current) throw new ColonyError('not_found', `there is no workflow ${workflow}/${id} (never started, or purged)`);
  switch (verb) {
    case 'event': {
      const event = input as EventInput;
      if (typeof event?.name !== 'string' || event.name.length === 0) throw new ColonyError('invalid_argument', 'an event needs a name');
      if (isFinished(current.status)) {
        throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status}; the event "${event.name}" was not delivered`);
      }
      await instance.event(event.name, event.payload, ctx.callId);
      return { reply: reply(current) };
    }
    case 'terminate': {
      if (isFinished(current.status)) throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status} already`);
      const reason = (input as TerminateInput | undefined)?.reason ?? 'terminated by request';
      const summary: WorkflowSummary = { ...current, status: 'terminated', reason, updatedAt: now };
      ctx.state = summary;
      retire(activation.record, now + retentionMs);
      return { reply: reply(summary), afterCommit: () => instance.terminate(reason) };
    }
    case 'suspend':
    case 'resume': {
      const { from, to, done } = PAUSE[verb];
      if (isFinished(current.status)) throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status}; only a ${from} workflow can be ${done}`);
      if (current.status === to) return { reply: reply(current) };
      const summary: WorkflowSummary = { ...current, status: to, updatedAt: now };
      ctx.state = summary;
      return { reply: reply(summary), afterCommit: () => instance[verb]() };
    }
    case 'purge': {
      if (!isFinished(current.status)) {
        throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status}; terminate it before purging it`);
      }
      await instance.purge(id);
      ctx.state = null;
      activation.record.reminders.clear();
      return { reply: { id, workflow, purged: true } };
    }
  }
}
