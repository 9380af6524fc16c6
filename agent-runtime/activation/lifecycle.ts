import { errorField } from '../observability/log.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { Activation } from './activation.ts';
import { syncWake } from './commit.ts';
import { publishOutbox } from '../events/outbox.ts';
import { replyError } from './reply.ts';
import type { Reply } from './reply.ts';
import { runTurn } from './turn.ts';
import type { TurnContext, TurnScope } from './turn-context.ts';

/**
 * The two ends of an activation's life, around its state machine
 * (activation.ts): loading its record and running `onActivate`; running
 * `onDeactivate` and writing its record a last time.
 */

/** Reads the instance's record and runs `onActivate`; throws what made it fail. */
export async function loadInstance(a: Activation): Promise<void> {
  const { agent } = a.deps;
  await a.record.load(a.deps.store, a.key, agent.initialState, a.deps.now());
  // Events a turn committed before its pod died: published again under their ids (repeats are dropped).
  if (a.record.hasOutbox) void publishOutbox(a);
  if (!agent.onActivate) return;
  let failure: ColonyError | undefined;
  const committed = await runHook(a, 'onActivate', agent.onActivate, (reply) => {
    if (reply.status !== 'ok') failure = replyError(reply);
  });
  if (!committed) throw failure ?? new ColonyError('method_failed', `onActivate of ${a.address} failed`);
}

/**
 * Runs `onDeactivate` and writes the record with the calls remembered in
 * memory (so a repeat after a move or an unload still runs once), then says
 * what wakes the instance from now on. Failures are logged: the activation
 * goes either way.
 */
export async function retireInstance(a: Activation): Promise<void> {
  const hook = a.deps.agent.onDeactivate;
  if (hook) {
    const committed = await runHook(a, 'onDeactivate', hook, () => undefined);
    if (!committed) a.deps.log.warn(`onDeactivate of ${a.address} failed; its state change was discarded`, { key: a.key });
  }
  try {
    await a.record.flush(a.deps.store, a.key, a.deps.durability === 'none' ? {} : { withRecent: { limitBytes: a.deps.limits.recordBytes, now: a.deps.now() } });
  } catch (error) {
    a.deps.log.error(`could not persist the state of ${a.address} while deactivating`, { key: a.key, ...errorField(error) });
  }
  // A workflow that only waits needs no resuming.
  if (a.deps.workflows) await syncWake(a);
}

/** A hook as a turn of its own, with the hook timeout as its deadline; resolves whether it committed. */
function runHook(a: Activation, name: 'onActivate' | 'onDeactivate', hook: (ctx: TurnContext) => unknown, respond: (reply: Reply) => void): Promise<boolean> {
  const scope: TurnScope = {
    agent: a.deps.agent.name,
    key: a.key,
    callId: '',
    chain: `${name}:${a.address}`,
    depth: 0,
    deadline: a.deps.now() + a.deps.hookTimeoutMs,
  };
  return runTurn(a, { scope, body: hook, respond, where: `${name} of ${a.address}`, label: name });
}
