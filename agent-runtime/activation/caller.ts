import type { CallMeta, CallOp } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { oversizedInput } from '../protocol/limits.ts';
import type { IncomingCall } from './mailbox.ts';
import { unwrapReply } from './reply.ts';
import type { Reply } from './reply.ts';

/** A call that agent code makes to another instance. */
export interface OutgoingCall {
  agent: string;
  key: string;
  method: string;
  input: unknown;
  deadline: number;
  callId: string;
  chain: string;
  depth: number;
  oneway: boolean;
  traceparent?: string | undefined;
  /** The calling instance, `agent/key`. */
  caller: string;
  /** An operation that is not a method call (see HEADER.op). */
  op?: CallOp | undefined;
}

/**
 * How agent code reaches other instances: in-process when this pod owns the
 * target's partition, otherwise over NATS. Resolves to the callee's result
 * (for one-way calls: once the callee accepted the call) or rejects with a
 * ColonyError.
 */
export interface Caller {
  call(request: OutgoingCall): Promise<unknown>;
}

/** The meta of a call as its callee reads it. */
export function metaOf(request: OutgoingCall): CallMeta {
  return {
    key: request.key,
    method: request.method,
    deadline: request.deadline,
    callId: request.callId,
    chain: request.chain,
    depth: request.depth,
    traceparent: request.traceparent,
    caller: request.caller,
    oneway: request.oneway,
    op: request.op,
  };
}

/**
 * Runs `request` on an Agent of this process (`dispatch`: its catalog). The
 * input still goes through JSON, held to the size one message may carry, so
 * agent code sees the same values, and the same limits, as over NATS. A
 * one-way call resolves at once; any other with the result, or rejects with
 * the callee's ColonyError.
 */
export async function callInProcess(dispatch: (call: IncomingCall) => Promise<Reply>, request: OutgoingCall, maxPayloadBytes: number): Promise<unknown> {
  const json = request.input === undefined ? undefined : JSON.stringify(request.input);
  const problem = json === undefined ? undefined : oversizedInput(request.agent, request.method, Buffer.byteLength(json), maxPayloadBytes);
  if (problem) throw new ColonyError('payload_too_large', problem);
  const input = json === undefined ? undefined : JSON.parse(json);
  const reply = dispatch({ meta: metaOf(request), input });
  if (request.oneway) {
    void reply;
    return undefined;
  }
  return unwrapReply(await reply);
}
