import type { StreamSink } from '../stream/stream-sink.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { Reply } from './reply.ts';
import type { TurnContext } from './turn-context.ts';

/** A method call delivered to an instance. */
export interface IncomingCall {
  meta: CallMeta;
  input: unknown;
  /**
   * Runs right before the call's turn starts, and may refuse it: set for a
   * call that was in flight on a pod that went away (host/crash-guard.ts).
   */
  beforeTurn?: (() => Promise<ColonyError | undefined>) | undefined;
  /** Where the chunks of a streamed reply go, when the caller reads a stream (stream/stream-sink.ts). */
  stream?: StreamSink | undefined;
}

/**
 * What an activation's mailbox holds; each is one turn, run one at a time:
 * - `call`: a method call;
 * - `wake`: the pod's reminder scheduler wakes the instance to fire its due reminders and resume its tasks;
 * - `update`: a background task changes the state (`ctx.update`).
 * Explicit operations, not method names: no caller can send a wake or an update.
 */
export type Work =
  | { op: 'call'; meta: CallMeta; call: IncomingCall; resolve: (reply: Reply) => void }
  | { op: 'wake'; meta: CallMeta; resolve: (reply: Reply) => void }
  | { op: 'update'; meta: CallMeta; run: (ctx: TurnContext) => unknown; resolve: (reply: Reply) => void };

/** What the admission of a call depends on. */
export interface MailboxView {
  /** `agent/key` of the instance. */
  address: string;
  /** The activation takes turns (loaded, not being dropped). */
  takesTurns: boolean;
  /** Turns running now (reentrant calls add to the first). */
  inTurn: number;
  /** The call chain of the running turns. */
  runningChain: string | undefined;
  /** Instances the running turns wait on (`agent/key`). */
  waits: ReadonlyMap<string, number> | undefined;
  queued: number;
  maxMailbox: number;
}

export type Admission = { kind: 'reentrant' } | { kind: 'queue' } | { kind: 'refuse'; error: ColonyError };

/**
 * Whether a call runs at once, waits in the mailbox or is refused. A pure
 * function of the activation's view.
 *
 * - A call along the running turn's chain runs at once (A → B → A, decision 5).
 * - A call from an instance the running turn waits on, from another chain,
 *   closes a wait cycle of two chains (A → B while B → A). Exactly one of the
 *   two calls is refused, on whichever side sees it: the one whose chain id
 *   sorts after the other's (`refusesInCycle`); the other chain goes on once
 *   the refused call's turn has rolled back.
 * - A full mailbox refuses with `resource_exhausted`.
 */
export function admit(view: MailboxView, meta: CallMeta): Admission {
  if (view.takesTurns && view.inTurn > 0 && view.runningChain === meta.chain) return { kind: 'reentrant' };
  if (closesTwoCycle(view, meta) && refusesInCycle(meta.chain, view.runningChain as string)) {
    return { kind: 'refuse', error: twoCycleError(view.address, meta.caller as string) };
  }
  if (view.queued >= view.maxMailbox) {
    return {
      kind: 'refuse',
      error: new ColonyError(
        'resource_exhausted',
        `${view.address} has ${view.queued} calls waiting (limit ${view.maxMailbox}); slow down or spread the load over more keys`,
        { retryAfterSeconds: 1 },
      ),
    };
  }
  return { kind: 'queue' };
}

/** The call comes from an instance the running turn waits on, from another chain. */
function closesTwoCycle(view: MailboxView, meta: CallMeta): boolean {
  const { caller, chain, oneway } = meta;
  return !!caller && !oneway && view.inTurn > 0 && chain !== view.runningChain && view.runningChain !== undefined && !!view.waits?.has(caller);
}

/**
 * Of two chains that wait on each other, the call made by the chain whose id
 * sorts after the other's is refused. Both sides compute the same answer, so
 * exactly one of the two calls is refused.
 */
export function refusesInCycle(incomingChain: string, runningChain: string): boolean {
  return incomingChain > runningChain;
}

export function twoCycleError(address: string, caller: string): ColonyError {
  return new ColonyError(
    'aborted',
    `deadlock avoided: ${address} is waiting on ${caller}, which called it back from another call chain; the call of ${caller} was refused (its chain yields to the other one, which goes on), retry it`,
  );
}

/**
 * Calls accepted and not answered yet, by call id, with the copies of each
 * that arrived meanwhile (a caller's resend after an owner change, or a
 * retry): a copy gets the first one's reply, and never runs. A copy that
 * names another method or input is refused (`idempotency_key_reused`).
 */
export class UnansweredCalls {
  readonly #calls = new Map<string, { fingerprint: () => string; copies: ((reply: Reply) => void)[] }>();

  get size(): number {
    return this.#calls.size;
  }

  /** Whether `id` is a call accepted and not answered yet. */
  has(id: string): boolean {
    return this.#calls.has(id);
  }

  /** Notes `id` as unanswered; the returned resolver answers the call and every copy that came meanwhile. */
  track(id: string, fingerprint: () => string, resolve: (reply: Reply) => void): (reply: Reply) => void {
    this.#calls.set(id, { fingerprint, copies: [] });
    return (reply) => {
      const copies = this.#calls.get(id)?.copies ?? [];
      this.#calls.delete(id);
      resolve(reply);
      for (const copy of copies) copy(reply);
    };
  }

  /**
   * A call with an id already unanswered: returns true when it was taken as
   * a copy (it will get the first reply), or the error when it differs from the first.
   */
  join(id: string, fingerprint: string, resolve: (reply: Reply) => void): true | ColonyError | undefined {
    const first = this.#calls.get(id);
    if (!first) return undefined;
    if (first.fingerprint() !== fingerprint) return idempotencyConflict(id);
    first.copies.push(resolve);
    return true;
  }
}

export function idempotencyConflict(callId: string): ColonyError {
  return new ColonyError(
    'idempotency_key_reused',
    `the idempotency key (call id) ${JSON.stringify(callId)} was first sent with another method or input; a repeat must be the same request — use a new key for a new request`,
  );
}
