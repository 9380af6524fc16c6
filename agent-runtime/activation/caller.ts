import type { CallMeta, CallOp } from '../protocol/envelope.ts';

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
