import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { callViews, noStoredStateError, reminderViews } from '../protocol/admin.ts';
import type { AdminVerb, InstanceView } from '../protocol/admin.ts';
import type { StoredReply } from '../protocol/stored-record.ts';
import type { ReminderEntry } from '../reminders/reminder.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Activation } from './activation.ts';
import { callFingerprint } from './fingerprint.ts';
import type { IncomingCall } from './mailbox.ts';
import { repeatReply } from './repeat-reply.ts';
import { errorReply, okReply } from './reply.ts';
import type { Reply } from './reply.ts';
import { deadlineError, runTurn } from './turn.ts';

/**
 * Admin operations on an instance (protocol/admin.ts). The writes — put,
 * reset, cancel-reminder — are turns of its activation, queued in its
 * mailbox behind the calls before them: they commit with compare-and-set on
 * the record like any turn, are remembered under their call id (a repeat is
 * answered, not applied again), and a change of reminders updates the
 * wake-up index as ctx.reminders does. The read needs no turn: it answers
 * the last committed version.
 */

/** What a write answers: small, so that remembering it for repeats costs the record little. */
export type AdminWriteReply = { agent: string; key: string } & ({ replaced: true } | { reset: true } | { reminder: string; cancelled: true });

/** What identifies an admin write behind its call id: its verb (never a method's name) and input. */
export function adminFingerprint(verb: string, input: unknown): string {
  return callFingerprint(`admin:${verb}`, input);
}

/** Runs an admin write as a turn of `activation`, answering `resolve` once it committed (or failed). */
export async function executeAdmin(activation: Activation, meta: CallMeta, call: IncomingCall, resolve: (reply: Reply) => void): Promise<void> {
  const { agent, now } = activation.deps;
  const verb = meta.method as AdminVerb;
  const where = `admin ${verb} of ${activation.address}`;
  const fingerprint = adminFingerprint(verb, call.input);
  const remembered = activation.record.remembered(meta.callId, now());
  if (remembered) {
    resolve(repeatReply(remembered, meta.callId, fingerprint, where));
    return;
  }
  if (now() >= meta.deadline) {
    resolve(errorReply(deadlineError(where, 'waiting in the mailbox')));
    return;
  }
  await runTurn(activation, {
    scope: { ...meta, agent: agent.name },
    body: () => applyWrite(activation, verb, call.input),
    respond: resolve,
    where,
    label: `admin ${verb}`,
    fingerprint: meta.callId ? () => fingerprint : undefined,
  });
}

/** The body of an admin write's turn: changes the record; the commit writes it. */
function applyWrite(activation: Activation, verb: AdminVerb, input: unknown): AdminWriteReply {
  const { record, deps } = activation;
  const id = { agent: deps.agent.name, key: activation.key };
  switch (verb) {
    case 'put':
      if (input === undefined) throw new ColonyError('invalid_argument', `the new state of ${activation.address} is missing; send it as the JSON body`);
      record.state = input;
      return { ...id, replaced: true };
    case 'reset': {
      // A task would go on changing the fresh state: it must end first (or the state be replaced with put).
      if (record.hasTasks) {
        throw new ColonyError(
          'failed_precondition',
          `${activation.address} has background tasks running (${[...record.tasks.keys()].join(', ')}); reset it once they have finished, or replace its state instead`,
        );
      }
      record.state = initialState(activation);
      record.reminders.clear();
      return { ...id, reset: true };
    }
    case 'cancel-reminder': {
      const name = (input as { name?: unknown } | undefined)?.name;
      if (typeof name !== 'string' || name === '') throw new ColonyError('invalid_argument', 'cancel-reminder takes {"name": "<reminder>"}');
      if (!record.reminders.delete(name)) {
        const names = [...record.reminders.keys()];
        throw new ColonyError('not_found', `${activation.address} has no reminder ${JSON.stringify(name)}; ${names.length > 0 ? `its reminders are: ${names.join(', ')}` : 'it has none'}`);
      }
      return { ...id, reminder: name, cancelled: true };
    }
    default:
      throw new ColonyError('not_found', `there is no admin operation "${verb}" that writes`);
  }
}

function initialState(activation: Activation): unknown {
  try {
    return activation.deps.agent.initialState();
  } catch (cause) {
    throw new ColonyError('method_failed', `the state factory of ${activation.address} failed: ${(cause as Error).message}`, { cause });
  }
}

/** Where `read` looks: the instance's activation on this pod, if any, and else its stored record. */
export interface ReadSource {
  agent: string;
  key: string;
  /** The activation of the key on this pod, if it has one. */
  activation: () => Activation | undefined;
  /** Resolves once an activation of the key being retired has written its record. */
  retired: () => Promise<void> | undefined;
  store: StateStore;
}

/**
 * The `read` verb: the last committed state, reminders and kept calls of an
 * active instance, or, when it is not in memory here, its stored record —
 * without activating it. `not_found` when there is neither.
 */
export async function readInstance(source: ReadSource): Promise<Reply> {
  const { agent, key } = source;
  const view = (active: boolean, state: unknown, reminders: Record<string, ReminderEntry> | undefined, calls: [string, StoredReply][]): Reply =>
    okReply({ agent, key, active, state, reminders: reminderViews(reminders), calls: callViews(calls) } satisfies InstanceView);
  const active = source.activation();
  if (active?.takesTurns) {
    const committed = active.record.committed();
    return view(true, committed.state, committed.reminders, active.record.keptCalls());
  }
  await source.retired();
  let loaded;
  try {
    loaded = await source.store.load(key);
  } catch (cause) {
    return errorReply(new ColonyError('unavailable', `could not read the state of ${agent}/${key}: ${(cause as Error).message}`, { cause, retryAfterSeconds: 1 }));
  }
  if (!loaded.record) return errorReply(noStoredStateError(agent, key));
  return view(false, loaded.record.state, loaded.record.reminders, loaded.record.calls);
}
