import { ColonyError } from '../protocol/errors.ts';
import { errorField } from '../observability/log.ts';
import type { WakeEntry } from '../protocol/wake.ts';
import type { Activation } from './activation.ts';
import { errorReply, toColonyError } from './reply.ts';
import type { Reply } from './reply.ts';
import { formatBytes, utf8Bytes } from './state-json.ts';
import { publishOutbox } from '../events/outbox.ts';

/** The end of a turn that succeeded. */
export interface Commit {
  /** The call id the reply is remembered under ('' for none). */
  callId: string;
  reply: Reply;
  fingerprint?: (() => string) | undefined;
  /** What ran, for errors: `counter.increment on alice`. */
  where: string;
  /** The turn's span, when tracing: the state write is its child. */
  traceparent?: string | undefined;
}

/**
 * Ends a turn that succeeded: checks that its result fits in a reply, and, if
 * the record changed, remembers the reply under the call id and persists as
 * the durability mode says, keeping the wake-up index right. Returns the
 * reply to send: the result, or the error that rolled the turn back.
 */
export async function commitTurn(activation: Activation, commit: Commit): Promise<Reply> {
  const { deps, record } = activation;
  const tooLarge = oversizedResult(commit, deps.limits.replyBytes);
  if (tooLarge) return refuse(activation, tooLarge);
  let change;
  try {
    change = record.change();
  } catch (error) {
    return refuse(activation, toColonyError(error, activation.address));
  }
  if (!change) return commit.reply;
  const durable = deps.durability !== 'none';
  if (durable) {
    // The index must never be later than the state: write it first when this turn makes the instance due earlier.
    try {
      await indexBeforeWrite(activation);
    } catch (cause) {
      record.rollback();
      return errorReply(
        new ColonyError('unavailable', `could not record the reminders of ${activation.address}: ${(cause as Error).message}`, { cause, retryAfterSeconds: 1 }),
      );
    }
  }
  try {
    const call = commit.callId ? { callId: commit.callId, reply: commit.reply, fingerprint: commit.fingerprint?.() } : undefined;
    record.accept(change, call, deps.now(), deps.limits.recordBytes);
  } catch (error) {
    return refuse(activation, toColonyError(error, activation.address));
  }
  activation.syncTasks();
  if (!durable) {
    if (record.hasOutbox) await publishOutbox(activation);
    return commit.reply;
  }
  if (deps.durability === 'async') {
    record
      .flush(deps.store, activation.key)
      .then(async () => {
        await syncWake(activation);
        if (record.hasOutbox) await publishOutbox(activation);
      })
      .catch((error: unknown) => {
        deps.log.error(`could not persist the state of ${activation.address} (durability: async); acknowledged changes may be lost`, {
          key: activation.key,
          ...errorField(error),
        });
        activation.abandon();
      });
    return commit.reply;
  }
  const span = commit.traceparent === undefined ? undefined : deps.tracing.start(`state write ${deps.agent.name}`, commit.traceparent, 'internal', { 'colony.agent': deps.agent.name, 'colony.key': activation.key });
  try {
    await record.flush(deps.store, activation.key);
    span?.end();
  } catch (cause) {
    span?.end(cause instanceof ColonyError ? cause.code : 'unavailable');
    activation.abandon();
    if (cause instanceof ColonyError) return errorReply(cause);
    return errorReply(
      new ColonyError(
        'unavailable',
        `could not persist the state of ${activation.address}: ${(cause as Error).message}; the change may not have been applied, and retrying with the same call id is safe`,
        { cause, retryAfterSeconds: 1 },
      ),
    );
  }
  await syncWake(activation);
  // Only turns that published (or left events from before) pay for it.
  if (record.hasOutbox) await publishOutbox(activation);
  return commit.reply;
}

/** Rolls the turn back and answers with `error`; a mistake of the agent's code is logged. */
function refuse(activation: Activation, error: ColonyError): Reply {
  activation.record.rollback();
  if (error.code !== 'invalid_argument') activation.deps.log.warn(error.message, { key: activation.key, code: error.code });
  return errorReply(error);
}

/** A successful result larger than one reply may carry (checked wherever the caller is, so placement never changes the outcome). */
function oversizedResult(commit: Commit, limitBytes: number): ColonyError | undefined {
  const { body } = commit.reply;
  if (commit.reply.status !== 'ok' || body === undefined || body.length * 3 <= limitBytes) return undefined;
  const bytes = utf8Bytes(body);
  if (bytes <= limitBytes) return undefined;
  return new ColonyError(
    'result_too_large',
    `the result of ${commit.where} is ${formatBytes(bytes)} as JSON, over the limit of ${formatBytes(limitBytes)} one reply can carry (the NATS server's max_payload); the turn was rolled back. Return less (page through it), or keep large data elsewhere and return a reference`,
  );
}

async function indexBeforeWrite(activation: Activation): Promise<void> {
  const { wake } = activation.deps;
  const wanted = wakeEntryOf(activation);
  const indexed = wake.indexedReminderAt(activation.key);
  const earlier = wanted.reminderAt !== null && (indexed === undefined || indexed === null || wanted.reminderAt < indexed);
  if (earlier || (wanted.tasks && indexed === undefined)) await wake.update(activation.key, activation.partition, wanted);
}

/**
 * What the partition's owner must know to wake the instance: its next
 * reminder, and whether it has work that goes on by itself — background
 * tasks, or a workflow run (`running`): a new owner wakes those at once, after
 * a crash, a move or a restart.
 */
function wakeEntryOf(activation: Activation): WakeEntry {
  const entry = activation.record.wakeEntry();
  const { workflow } = activation;
  if (entry.tasks || workflow?.summary?.status !== 'running') return entry;
  // Unloaded while it only waits (timers are reminders; events and children wake it with a verb): nothing to resume.
  const waitingOnly = activation.status !== 'active' && !workflow.busy;
  return waitingOnly ? entry : { ...entry, tasks: true };
}

/** Writes the exact wake-up entry after a successful write (a failure only delays reminders until the next one). */
export async function syncWake(activation: Activation): Promise<void> {
  const { deps } = activation;
  if (deps.durability === 'none' || activation.status === 'abandoned') return;
  try {
    await deps.wake.update(activation.key, activation.partition, wakeEntryOf(activation));
  } catch (error) {
    deps.log.warn(`could not update the wake-up index of ${activation.address}`, { key: activation.key, ...errorField(error) });
  }
}
