import type { ColonyClient } from '../client/client.ts';
import type { IncomingCall } from '../activation/mailbox.ts';
import { callInProcess } from '../activation/caller.ts';
import { splitAddress } from '../activation/deadlock.ts';
import type { Caller, OutgoingCall } from '../activation/caller.ts';
import type { Reply } from '../activation/reply.ts';
import { decodeJson, encodeJson } from '../protocol/codec.ts';
import { ColonyError } from '../protocol/errors.ts';
import { checkInstanceKey } from '../protocol/limits.ts';
import type { Tracing } from '../observability/tracing.ts';

/** An Agent this pod hosts: takes a call in-process. */
export interface LocalAgent {
  dispatch(call: IncomingCall, partition: number): Promise<Reply>;
}

export interface HostCallerDeps {
  client: ColonyClient;
  /** The Agent of that name if this pod hosts it (its own, or a member of its placement group). */
  local(agent: string): LocalAgent | undefined;
  /** True when this pod serves the partition now (every Agent of a pod shares its partitions). */
  serves(partition: number): boolean;
  /** True while this pod hands the partition over (it neither serves it nor has let it go). */
  releasing(partition: number): boolean;
  /** The NATS server's max_payload: an in-process call is held to it too, so placement never changes what a call may carry. */
  maxPayloadBytes: number;
  /** Counts each call by target and route (the pod's metrics). */
  metrics?: { call(target: string, inProcess: boolean): void } | undefined;
  /** A client span per call when tracing is on; the call then carries the span's traceparent. */
  tracing?: Tracing | undefined;
}

/**
 * Agent-to-agent calls. A call to an instance of an Agent this pod hosts — its
 * own, or another of its placement group — whose partition this pod serves is
 * dispatched in-process (the input and output still go through JSON, so agent
 * code sees the same values either way); everything else goes over NATS.
 */
export class HostCaller implements Caller {
  readonly #deps: HostCallerDeps;

  constructor(deps: HostCallerDeps) {
    this.#deps = deps;
  }

  async call(request: OutgoingCall): Promise<unknown> {
    const tracing = this.#deps.tracing;
    if (!tracing?.enabled) return this.#call(request);
    const span = tracing.start(`call ${request.agent}.${request.method}`, request.traceparent, 'client', {
      'colony.agent': request.agent,
      'colony.key': request.key,
      'colony.method': request.method,
      'colony.call_id': request.callId,
      'colony.caller': request.caller,
    });
    try {
      const result = await this.#call(span ? { ...request, traceparent: span.traceparent } : request);
      span?.end();
      return result;
    } catch (error) {
      span?.end(error instanceof ColonyError ? error.code : 'internal');
      throw error;
    }
  }

  /**
   * True when `caller` (`agent/key`) is an instance hosted here in `partition`: while that partition
   * is handed over, its turn holds the handover up, so a call of it into the partition cannot wait
   * for the next owner.
   */
  #inPartition(caller: string, partition: number): boolean {
    if (!caller) return false;
    const { agent, key } = splitAddress(caller);
    if (!this.#deps.local(agent)) return false;
    try {
      return this.#deps.client.partitionFor(agent, key) === partition;
    } catch {
      return false;
    }
  }

  async #call(request: OutgoingCall): Promise<unknown> {
    const keyProblem = checkInstanceKey(request.key);
    if (keyProblem) throw new ColonyError('invalid_argument', `call to ${request.agent}.${request.method}: ${keyProblem}`);
    const { client } = this.#deps;
    const partition = client.partitionFor(request.agent, request.key);
    const local = this.#deps.local(request.agent);
    const inProcess = local !== undefined && this.#deps.serves(partition);
    this.#deps.metrics?.call(request.agent, inProcess);
    if (local && inProcess) return callInProcess((call) => local.dispatch(call, partition), request, this.#deps.maxPayloadBytes);
    if (local && this.#deps.releasing(partition) && this.#inPartition(request.caller, partition)) {
      // The partition's next owner waits until this pod has let it go, which waits for the turns in
      // flight here — among them the one making this call: over NATS it would wait for its deadline.
      // Refused now, the calling turn rolls back and is retried on the next owner. (Any other caller —
      // an event pump, a turn of another partition — waits for the next owner, which does not wait for it.)
      throw new ColonyError('unavailable', `${request.agent}/${request.key} is moving to another pod with partition ${partition}; retry`, { retryAfterSeconds: 1 });
    }
    const result = await client.call({ ...request, input: encodeJson(request.input) });
    if (request.oneway) return undefined;
    return decodeJson(result.data, `the reply of ${request.agent}.${request.method}`);
  }
}
