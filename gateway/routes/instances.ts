import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJson, encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { callViews, noStoredStateError, reminderViews, workflowAdminError } from '../../agent-runtime/protocol/admin.ts';
import type { AdminVerb, InstanceView } from '../../agent-runtime/protocol/admin.ts';
import { checkInstanceKey } from '../../agent-runtime/protocol/limits.ts';
import { callFromRequest, REQUEST_HEADER, RESPONSE_HEADER } from '../call-headers.ts';
import type { CallSource } from '../call-headers.ts';
import type { GatewayClient, GatewayInstances, GatewayRegistry } from '../deps.ts';
import { gatewayClosingError, JSON_CONTENT_TYPE, unknownAgentError } from '../errors.ts';
import { readInput } from '../input.ts';
import { instancePage, parseInstanceListQuery } from '../instance-query.ts';
import type { InstancePage } from '../instance-query.ts';

export interface InstanceRoutesOptions extends CallSource {
  client: GatewayClient;
  registry: GatewayRegistry;
  namespace: string;
  instances: GatewayInstances;
  /** Aborted once the gateway begins to close: writes that still arrive are refused. */
  closing: AbortSignal;
}

interface ListRoute {
  Params: { agent: string };
  Querystring: Record<string, string | string[] | undefined>;
}

interface InstanceRoute {
  Params: { agent: string; key: string; name?: string };
  Body: Buffer | undefined;
}

const NO_INPUT = new Uint8Array(0);

/**
 * The admin API of an Agent's instances:
 * - GET /v1/agents/:agent/instances[?stored=true&limit=&cursor=] — those in
 *   memory (every pod of the Agent is asked), or those with a stored record;
 * - GET, PUT, DELETE /v1/agents/:agent/:key/state — read (with the calls whose
 *   replies it keeps), replace, reset;
 * - GET /v1/agents/:agent/:key/reminders, DELETE …/reminders/:name — list, cancel.
 * Writes are calls to the instance with `Colony-Op: admin`, turns on its pod
 * (fencing, idempotency by Idempotency-Key, X-Colony-Timeout). A read goes to
 * the pod that owns the instance's partition (it answers the last committed
 * state, from memory when the instance is active), or, when no pod owns it
 * (the Agent is scaled to zero), to the stored record, without waking anything.
 * POST to …/state and …/reminders stays a call of a method of that name.
 */
export function registerInstanceRoutes(app: FastifyInstance, options: InstanceRoutesOptions): void {
  const { client, registry, namespace, instances, closing } = options;

  /** Refuses an unknown Agent, and a workflow (its instances have routes of their own). */
  const checkAgent = (agent: string): void => {
    const entry = registry.get(agent);
    if (entry === undefined) throw unknownAgentError(agent, namespace, registry.list().map((known) => known.spec.name));
    if (entry.api?.kind === 'workflow') throw workflowAdminError(agent);
  };

  const checkInstance = (agent: string, key: string): void => {
    checkAgent(agent);
    const problem = checkInstanceKey(key);
    if (problem !== undefined) throw new ColonyError('invalid_argument', problem);
  };

  app.get<ListRoute>('/v1/agents/:agent/instances', async (request): Promise<InstancePage> => {
    const { agent } = request.params;
    checkAgent(agent);
    const query = parseInstanceListQuery(request.query);
    const page = { after: query.after, limit: query.limit };
    if (query.stored) {
      const stored = await instances.stored(agent, page);
      return instancePage(agent, true, stored.keys.map((key) => ({ key, partition: client.partitionFor(agent, key) })), stored.more);
    }
    const active = await instances.active(agent, page);
    const listed = active.instances.map(({ key, pod }) => ({ key, partition: client.partitionFor(agent, key), pod }));
    return instancePage(agent, false, listed, active.more, active.unanswered);
  });

  /** The instance's state and reminders: from its pod when its partition has one, else from its stored record. */
  const read = async (request: FastifyRequest<InstanceRoute>): Promise<InstanceView> => {
    const { agent, key } = request.params;
    checkInstance(agent, key);
    if (!instances.hasOwner(agent, client.partitionFor(agent, key))) {
      const record = await instances.readStored(agent, key);
      if (record === undefined) throw noStoredStateError(agent, key);
      return { agent, key, active: false, state: record.state, reminders: reminderViews(record.reminders), calls: callViews(record.calls) };
    }
    const call = callFromRequest(request.headers, { agent, key, method: 'read', op: 'admin' }, NO_INPUT, options);
    return decodeJson((await client.call(call)).data, 'the pod’s answer') as InstanceView;
  };

  /** A write, sent to the instance as `verb` with the input `inputOf` makes of the request; its pod's answer is sent on as it came. */
  const write =
    (verb: AdminVerb, inputOf: (request: FastifyRequest<InstanceRoute>) => Uint8Array) =>
    async (request: FastifyRequest<InstanceRoute>, reply: FastifyReply<InstanceRoute>): Promise<FastifyReply<InstanceRoute>> => {
      if (closing.aborted) throw gatewayClosingError();
      const { agent, key } = request.params;
      checkInstance(agent, key);
      const call = callFromRequest(request.headers, { agent, key, method: verb, op: 'admin' }, inputOf(request), options);
      reply.header(RESPONSE_HEADER.callId, call.callId);
      const result = await client.call(call);
      return reply.header('content-type', JSON_CONTENT_TYPE).send(result.data);
    };

  const newState = (request: FastifyRequest<InstanceRoute>): Uint8Array => {
    const input = readInput(request.body, request.headers[REQUEST_HEADER.contentType]);
    if (input.byteLength === 0) throw new ColonyError('invalid_argument', 'send the new state as the JSON body (content-type: application/json); to reset the instance to its initial state, DELETE its state');
    return input;
  };

  app.get<InstanceRoute>('/v1/agents/:agent/:key/state', async (request) => {
    const { agent, key, active, state, calls } = await read(request);
    return { agent, key, active, state, calls };
  });
  app.put<InstanceRoute>('/v1/agents/:agent/:key/state', write('put', newState));
  app.delete<InstanceRoute>('/v1/agents/:agent/:key/state', write('reset', () => NO_INPUT));
  app.get<InstanceRoute>('/v1/agents/:agent/:key/reminders', async (request) => {
    const { agent, key, active, reminders } = await read(request);
    return { agent, key, active, reminders };
  });
  app.delete<InstanceRoute>('/v1/agents/:agent/:key/reminders/:name', write('cancel-reminder', (request) => encodeJson({ name: request.params.name ?? '' })));
}
