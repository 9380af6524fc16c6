import { afterFailedFire, dueTime, nextDueAfterFire, reminderCallId } from '../reminders/reminder.ts';
import type { ReminderEntry } from '../reminders/reminder.ts';
import type { Activation } from './activation.ts';
import { commitTurn } from './commit.ts';
import { replyError } from './reply.ts';
import type { Reply } from './reply.ts';
import { runTurn } from './turn.ts';
import type { TurnContext, TurnScope } from './turn-context.ts';

/** Deadline of one reminder fire. */
const REMINDER_TURN_TIMEOUT_MS = 30_000;

/**
 * Fires the instance's due reminders, each as its own turn with its own call
 * id (`reminder:<name>:<dueAt>`, so a fire that committed is never repeated).
 * A fire whose turn fails is rolled back and tried again after a capped
 * exponential backoff; the failures are written with the reminder, so the
 * backoff survives a restart or a move. Resolves ok when every due reminder
 * fired or had its failure recorded; with an error when the record could not
 * be written (the scheduler then retries the wake with its own backoff).
 */
export async function fireDueReminders(activation: Activation): Promise<Reply> {
  const { deps, record } = activation;
  const now = deps.now();
  const due = [...record.reminders].filter(([, entry]) => dueTime(entry) <= now).sort((a, b) => dueTime(a[1]) - dueTime(b[1]));
  for (const [name, entry] of due) {
    if (!activation.takesTurns) break;
    const method = entry.step !== undefined || entry.purge ? workflowReminder(activation, entry) : deps.agent.methods.get(entry.method);
    if (!method) {
      deps.log.error(`reminder "${name}" of ${activation.address} names method "${entry.method}", which no longer exists; it is dropped`);
      record.reminders.delete(name);
      const dropped = await commitChange(activation, `reminder "${name}" of ${activation.address}`);
      if (dropped.status !== 'ok') return dropped;
      continue;
    }
    const callId = reminderCallId(name, entry.dueAt);
    const where = `reminder "${name}" (${deps.agent.name}.${entry.method} on ${activation.key})`;
    const advance = (): void => advanceReminder(activation, name, entry, now);
    if (record.remembered(callId, now)) {
      // This fire committed before (its index entry was not updated in time): only move the reminder on.
      advance();
      const moved = await commitChange(activation, where);
      if (moved.status !== 'ok') return moved;
      continue;
    }
    const scope: TurnScope = {
      agent: deps.agent.name,
      key: activation.key,
      callId,
      chain: callId,
      depth: 0,
      deadline: now + REMINDER_TURN_TIMEOUT_MS,
      reminder: { name, dueAt: entry.dueAt },
    };
    const input = entry.input === undefined ? undefined : JSON.parse(JSON.stringify(entry.input));
    let failure: Reply | undefined;
    const committed = await runTurn(activation, {
      scope,
      body: (ctx) => method.fn(ctx, input),
      respond: (reply) => {
        if (reply.status !== 'ok') failure = reply;
      },
      where,
      label: `reminder ${name}`,
      beforeCommit: advance,
    });
    if (committed || !activation.takesTurns) continue;
    const recorded = await recordFailure(activation, name, entry, where, failure);
    if (recorded.status !== 'ok') return recorded;
  }
  return { status: 'ok' };
}

/** Writes a change of the record's reminders that no method made (no call id, no result). */
function commitChange(activation: Activation, where: string): Promise<Reply> {
  return commitTurn(activation, { callId: '', reply: { status: 'ok' }, where });
}

/**
 * After a fire, a one-shot reminder ends and a periodic one moves to its next
 * time (unless the turn changed it); failures of the fire are forgotten.
 */
function advanceReminder(activation: Activation, name: string, entry: ReminderEntry, firedAt: number): void {
  const { reminders } = activation.record;
  if (reminders.get(name) !== entry) return;
  const next = nextDueAfterFire(entry, firedAt);
  if (next === undefined) {
    reminders.delete(name);
    return;
  }
  const { failures: _failures, retryAt: _retryAt, ...rest } = entry;
  reminders.set(name, { ...rest, dueAt: next });
}

/** The fire failed and rolled back: count it with the reminder and set its retry time; written like a turn. */
async function recordFailure(activation: Activation, name: string, fired: ReminderEntry, where: string, failure: Reply | undefined): Promise<Reply> {
  const { reminders } = activation.record;
  const current = reminders.get(name);
  // Cancelled or replaced meanwhile: nothing to retry.
  if (!current || current.dueAt !== fired.dueAt || current.method !== fired.method) return { status: 'ok' };
  const { deps } = activation;
  const next = afterFailedFire(current, deps.now());
  reminders.set(name, next);
  const reply = await commitChange(activation, where);
  if (reply.status !== 'ok') return reply;
  const why = failure?.body === undefined ? '' : `: ${replyError(failure).message}`;
  deps.log.warn(`${where} failed (attempt ${next.failures}); it is tried again in ${(next.retryAt as number) - deps.now()} ms${why}`, {
    key: activation.key,
    reminder: name,
    attempt: next.failures,
  });
  return reply;
}

/**
 * A workflow instance's own reminders, which name no method: the durable
 * timer of a step (the run takes it), and the end of a finished instance's
 * retention (it is purged).
 */
function workflowReminder(activation: Activation, entry: ReminderEntry): { fn: (ctx: TurnContext, input: unknown) => unknown } | undefined {
  const instance = activation.workflow;
  if (!instance) return undefined;
  if (entry.step !== undefined) {
    const k = entry.step;
    return { fn: () => instance.timerFired(k) };
  }
  return {
    fn: async (ctx) => {
      await instance.purge(activation.key);
      ctx.state = null;
      activation.record.reminders.clear();
    },
  };
}
