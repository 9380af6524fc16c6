import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { errorField } from '../observability/log.ts';
import type { Activation } from './activation.ts';
import { executeAdmin } from './admin-ops.ts';
import { syncWake } from './commit.ts';
import { callFingerprint } from './fingerprint.ts';
import type { IncomingCall, Work } from './mailbox.ts';
import { fireDueReminders } from './reminder-firing.ts';
import { repeatReply } from './repeat-reply.ts';
import { errorReply } from './reply.ts';
import type { Reply } from './reply.ts';
import { deadlineError, runTurn } from './turn.ts';
import { applyVerb } from '../workflow/verbs.ts';
import type { WorkflowVerb } from '../protocol/workflow.ts';

/**
 * Runs one piece of work the mailbox hands over, as a turn: a method call
 * (unless it is a repeat, is late, names no method, fails its schema, or is
 * refused before it starts), a workflow verb, an admin write (admin-ops.ts),
 * a wake-up for due reminders, or a task's update.
 */
export async function executeWork(activation: Activation, work: Work): Promise<void> {
  if (activation.status === 'abandoned') {
    activation.deps.onAbandoned(activation, [work]);
    return;
  }
  switch (work.op) {
    case 'wake': {
      const reply = await fireDueReminders(activation);
      activation.syncTasks();
      await syncWake(activation);
      work.resolve(reply);
      return;
    }
    case 'update':
      await runTurn(activation, {
        scope: { ...work.meta, agent: activation.deps.agent.name },
        body: work.run,
        respond: work.resolve,
        where: `a background task's update of ${activation.address}`,
        label: 'update',
      });
      return;
    case 'call':
      if (work.meta.op === 'workflow') await executeVerb(activation, work.meta, work.call, work.resolve);
      else if (work.meta.op === 'admin') await executeAdmin(activation, work.meta, work.call, work.resolve);
      else await executeCall(activation, work.meta, work.call, work.resolve);
  }
}

/** A workflow's management verb, as a turn of its instance; what the verb starts runs once the turn committed. */
async function executeVerb(activation: Activation, meta: CallMeta, call: IncomingCall, resolve: (reply: Reply) => void): Promise<void> {
  const where = `${meta.method} of workflow ${activation.address}`;
  const remembered = activation.record.remembered(meta.callId, activation.deps.now());
  if (remembered) {
    resolve(repeatReply(remembered, meta.callId, callFingerprint(meta.method, call.input), where));
    return;
  }
  const instance = activation.workflow;
  const workflows = activation.deps.workflows;
  if (!instance || !workflows) {
    resolve(errorReply(new ColonyError('not_found', `agent ${activation.deps.agent.name} is not a workflow`)));
    return;
  }
  let after: (() => Promise<void> | void) | undefined;
  const committed = await runTurn(activation, {
    scope: { ...meta, agent: activation.deps.agent.name },
    body: async (ctx) => {
      const outcome = await applyVerb(activation, instance, meta.method as WorkflowVerb, call.input, ctx, workflows.retentionMs);
      after = outcome.afterCommit;
      return outcome.reply;
    },
    respond: resolve,
    where,
    label: meta.method,
    fingerprint: meta.callId ? () => callFingerprint(meta.method, call.input) : undefined,
  });
  if (committed && after) {
    try {
      await after();
    } catch (error) {
      activation.deps.log.warn(`after ${where}: ${(error as Error).message}`, { key: activation.key, ...errorField(error) });
    }
  }
}

async function executeCall(activation: Activation, meta: CallMeta, call: IncomingCall, resolve: (reply: Reply) => void): Promise<void> {
  const { agent, now } = activation.deps;
  const { input } = call;
  const where = `${agent.name}.${meta.method} on ${activation.key}`;
  const remembered = activation.record.remembered(meta.callId, now());
  if (remembered) {
    resolve(repeatReply(remembered, meta.callId, callFingerprint(meta.method, input), where));
    return;
  }
  if (now() >= meta.deadline) {
    resolve(errorReply(deadlineError(where, 'waiting in the mailbox')));
    return;
  }
  const method = agent.methods.get(meta.method);
  if (!method) {
    resolve(errorReply(new ColonyError('not_found', `agent ${agent.name} has no method "${meta.method}"`)));
    return;
  }
  const problem = method.validate?.(input);
  if (problem) {
    resolve(errorReply(new ColonyError('invalid_argument', `invalid input for ${agent.name}.${meta.method}: ${problem}`)));
    return;
  }
  const refusal = await call.beforeTurn?.();
  if (refusal) {
    // Remembered like a reply, so a retry with the same call id is refused without running.
    resolve(await remember(activation, meta, input, errorReply(refusal)));
    return;
  }
  await runTurn(activation, {
    scope: { ...meta, agent: agent.name },
    body: (ctx) => method.fn(ctx, input),
    stream: call.stream,
    respond: resolve,
    where,
    label: meta.method,
    fingerprint: meta.callId ? () => callFingerprint(meta.method, input) : undefined,
  });
}

/** Keeps `reply` as the answer to every repeat of the call, without running anything. */
async function remember(activation: Activation, meta: CallMeta, input: unknown, reply: Reply): Promise<Reply> {
  const { deps, record } = activation;
  if (!meta.callId || deps.durability === 'none') return reply;
  try {
    record.remember({ callId: meta.callId, reply, fingerprint: callFingerprint(meta.method, input) }, deps.now(), deps.limits.recordBytes);
    await record.flush(deps.store, activation.key);
  } catch (error) {
    deps.log.warn(`could not remember the reply of ${meta.method} on ${activation.key}`, { key: activation.key, ...errorField(error) });
  }
  return reply;
}
