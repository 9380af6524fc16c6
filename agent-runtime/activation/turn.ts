import { ColonyError } from '../protocol/errors.ts';
import { errorField, lazyChild, traceFields } from '../observability/log.ts';
import type { TraceSpan } from '../observability/tracing.ts';
import type { Activation } from './activation.ts';
import { commitTurn } from './commit.ts';
import { errorReply, okReply, toColonyError } from './reply.ts';
import type { Reply } from './reply.ts';
import { TurnContext } from './turn-context.ts';
import { CollectingWriter } from '../stream/chunk-writer.ts';
import type { ChunkWriter } from '../stream/chunk-writer.ts';
import { finishMethod, isAsyncIterable } from '../stream/pump.ts';
import type { StreamSink } from '../stream/stream-sink.ts';
import type { TurnScope } from './turn-context.ts';

const DEADLINE = Symbol('deadline');

/** One turn to run on an activation. */
export interface Turn {
  scope: TurnScope;
  body: (ctx: TurnContext) => unknown;
  /** Called exactly once with the turn's reply (at the deadline, if the body is late). */
  respond: (reply: Reply) => void;
  /** What runs, for errors and logs: `counter.increment on alice`, `onActivate of counter/alice`. */
  where: string;
  /** The method (or hook, or reminder) for logs and the watchdog. */
  label: string;
  /** The call's method and input, remembered with its reply for repeats (fingerprint.ts). */
  fingerprint?: (() => string) | undefined;
  /** Where a streamed reply's chunks go when the caller reads a stream; otherwise they are collected into the result. */
  stream?: StreamSink | undefined;
  /** Runs after the body succeeded and before the commit (a reminder moves to its next time). */
  beforeCommit?: (() => void) | undefined;
}

/**
 * Runs one turn: the body with a context, raced against the deadline, then
 * the commit. Resolves true when the turn committed. A body that throws, or
 * is late, changes nothing (decision 3); one still running well past its
 * deadline makes the activation be abandoned.
 */
export async function runTurn(activation: Activation, turn: Turn): Promise<boolean> {
  const { deps } = activation;
  const { respond } = turn;
  // With tracing on, the turn is a span, and the calls it makes are its children.
  const span = deps.tracing.enabled ? startTurnSpan(activation, turn) : undefined;
  const scope = span ? { ...turn.scope, traceparent: span.traceparent } : turn.scope;
  const startedAt = deps.now();
  activation.beginTurn(scope.chain);
  const watch = deps.watchdog?.begin(activation.address, turn.label, scope.deadline);
  const abort = new AbortController();
  // Made only if the turn logs: its key, method, call id, and the trace it runs in.
  const log = lazyChild(deps.log, () => ({ key: activation.key, method: turn.label, callId: scope.callId, ...traceFields(scope.traceparent) }));
  // The caller of a stream went away, or the pod drains: the method's signal says so.
  const stream = turn.stream;
  const cancel = (): void => abort.abort(stream?.signal.reason);
  stream?.signal.addEventListener('abort', cancel, { once: true });
  // Made on first use: most turns never stream, and every turn is on the hot path.
  let writer: ChunkWriter | undefined = stream;
  const writerOf = (): ChunkWriter => (writer ??= new CollectingWriter(abort.signal));
  /** How the turn ended, for the pod's metrics: `ok`, or the error code of its reply. */
  let outcome = 'ok';
  const ctx = new TurnContext(activation, scope, abort.signal, deps.caller, log, deps.now, writerOf, deps.limits.replyBytes);
  const run = (async () => {
    const returned = await turn.body(ctx);
    return isAsyncIterable(returned) || writer?.streaming ? finishMethod(returned, writerOf(), abort.signal) : returned;
  })();
  try {
    const result = await raceDeadline(run, scope.deadline - startedAt, abort);
    if (result === DEADLINE) {
      outcome = 'deadline_exceeded';
      respond(errorReply(deadlineError(turn.where, 'running')));
      await afterDeadline(activation, run, turn.where);
      return false;
    }
    turn.beforeCommit?.();
    // A streamed reply is not kept for repeats: its chunks went out as they came (decision 21).
    const callId = stream?.streaming ? '' : scope.callId;
    if (ctx.published) activation.record.stage(ctx.published);
    const reply = await commitTurn(activation, { callId, reply: okReply(result), fingerprint: turn.fingerprint, where: turn.where, traceparent: scope.traceparent });
    outcome = reply.status;
    respond(reply);
    return reply.status === 'ok';
  } catch (thrown) {
    activation.record.rollback();
    const error = toColonyError(thrown, turn.where);
    outcome = error.code;
    if (error.code === 'method_failed' || error.code === 'internal') log.warn(error.message, errorField(thrown));
    respond(errorReply(error));
    return false;
  } finally {
    stream?.signal.removeEventListener('abort', cancel);
    if (watch !== undefined) deps.watchdog?.end(watch);
    activation.endTurn(startedAt, turn.label, outcome);
    span?.end(outcome === 'ok' ? undefined : outcome);
  }
}

function startTurnSpan(activation: Activation, turn: Turn): TraceSpan | undefined {
  const agent = activation.deps.agent.name;
  return activation.deps.tracing.start(`turn ${agent}.${turn.label}`, turn.scope.traceparent, 'server', {
    'colony.agent': agent,
    'colony.key': activation.key,
    'colony.method': turn.label,
    'colony.call_id': turn.scope.callId,
    'colony.activation': activation.activationId,
  });
}

export function deadlineError(where: string, phase: string): ColonyError {
  return new ColonyError('deadline_exceeded', `${where} passed its deadline while ${phase}; its state change, if any, was discarded`);
}

/** A turn outlived its deadline: its caller got 504; its state change is discarded. */
async function afterDeadline(activation: Activation, run: Promise<unknown>, where: string): Promise<void> {
  const { deps } = activation;
  const finished = await raceDeadline(
    run.then(
      () => true,
      () => true,
    ),
    deps.turnGraceMs,
    new AbortController(),
  );
  if (finished === DEADLINE) {
    deps.log.error(
      `${where} is still running ${deps.turnGraceMs} ms past its deadline; the activation is abandoned and the next call loads a fresh one. Make the method honour ctx.signal.`,
      { key: activation.key },
    );
    activation.abandon();
    return;
  }
  activation.record.rollback();
}

/** Resolves with the promise's value, or DEADLINE (after aborting `abort`) if `ms` pass first. */
async function raceDeadline<T>(promise: Promise<T>, ms: number, abort: AbortController): Promise<T | typeof DEADLINE> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => {
      abort.abort(new ColonyError('deadline_exceeded', 'the deadline passed'));
      resolve(DEADLINE);
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
