import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { ERROR_CODES } from '../../agent-runtime/protocol/errors.ts';
import { MAX_TOPIC_LENGTH } from '../../agent-runtime/protocol/topics.ts';
import { errorResponses, READ_ERROR_STATUSES, ref } from './components.ts';
import type { OpenApiObject } from './components.ts';

/** The schemas of the registry's and the topics' answers (routes/agents.ts, routes/topics.ts). */
export const PLATFORM_SCHEMAS: OpenApiObject = {
  AgentDescription: {
    type: 'object',
    required: ['name', 'partitions', 'minReplicas', 'maxReplicas', 'methods'],
    properties: {
      name: { type: 'string' },
      partitions: { type: 'integer' },
      minReplicas: { type: 'integer' },
      maxReplicas: { type: 'integer' },
      group: { type: 'string', description: 'The placement group it shares pods with.' },
      keyDelimiter: { type: 'string', description: 'The placement key is the instance key up to its first occurrence.' },
      kind: { type: 'string', enum: ['agent', 'workflow'], description: 'Absent until a pod has published its API.' },
      methods: {
        type: 'object',
        description: 'Method name → its input schema (`input`) and output schema (`output`), where declared.',
        additionalProperties: { type: 'object', properties: { input: {}, output: {} } },
      },
      activities: { type: 'array', items: { type: 'string' } },
      subscriptions: {
        type: 'array',
        items: { type: 'object', required: ['topic', 'method'], properties: { topic: { type: 'string' }, method: { type: 'string' } } },
      },
    },
  },
  AgentStatus: {
    type: 'object',
    description: 'As the controller last published it (every second): replicas wanted and ready and why, pods with their partitions and load, recent scaling decisions.',
    required: ['name', 'desiredReplicas', 'readyReplicas', 'reason', 'partitions', 'partitionsServed', 'pods', 'decisions'],
    properties: {
      name: { type: 'string' },
      desiredReplicas: { type: 'integer' },
      readyReplicas: { type: 'integer' },
      reason: { type: 'string' },
      group: { type: 'string' },
      partitions: { type: 'integer' },
      partitionsServed: { type: 'integer' },
      activeInstances: { type: 'integer' },
      pods: { type: 'array', items: { type: 'object' } },
      decisions: { type: 'array', items: { type: 'object', properties: { at: { type: 'integer' }, from: { type: 'integer' }, to: { type: 'integer' }, reason: { type: 'string' } } } },
      eventLag: { type: 'integer', description: 'Events of its subscriptions not handled yet.' },
      updatedAt: { type: 'integer' },
    },
  },
  EventStored: {
    type: 'object',
    required: ['id', 'topic', 'seq'],
    properties: {
      id: { type: 'string', description: 'The event’s id: the Idempotency-Key, or a new one.' },
      topic: { type: 'string' },
      seq: { type: 'integer', description: 'Its sequence in the topic.' },
      duplicate: { const: true, description: 'A repeat of an event stored in the last 10 minutes with the same id: nothing new was stored.' },
    },
  },
};

const json = (schema: OpenApiObject): OpenApiObject => ({ 'application/json': { schema } });

/** `agent`, one of those deployed (an enum, when there are any). */
function agentParameter(agents: readonly RegistryAgent[]): OpenApiObject {
  const names = agents.map((agent) => agent.spec.name);
  return { name: 'agent', in: 'path', required: true, schema: { type: 'string', ...(names.length > 0 ? { enum: names } : {}) } };
}

/** Who handles each topic, for the topics route's description. */
function subscribers(agents: readonly RegistryAgent[]): string {
  const lines = agents.flatMap(({ spec, api }) => (api?.subscriptions ?? []).map(({ topic, method }) => `\`${topic}\` → ${spec.name}.${method}`));
  return lines.length > 0 ? ` Subscribed now: ${lines.join(', ')}.` : '';
}

/** GET /v1/agents, GET /v1/agents/{agent}, …/status; POST /v1/topics/{topic} when the gateway serves it. */
export function registryPaths(agents: readonly RegistryAgent[], authRequired: boolean, topics: boolean): OpenApiObject {
  const agent = agentParameter(agents);
  const read = (operationId: string, summary: string, schema: OpenApiObject, parameters: OpenApiObject[] = []): OpenApiObject => ({
    get: { operationId, tags: ['registry'], summary, parameters, responses: { '200': { description: summary, content: json(schema) }, ...errorResponses(READ_ERROR_STATUSES, authRequired) } },
  });
  const paths: OpenApiObject = {
    '/v1/agents': read('listAgents', 'The deployed Agents', { type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: ref('schemas', 'AgentDescription') } } }),
    '/v1/agents/{agent}': read('getAgent', 'One Agent', ref('schemas', 'AgentDescription'), [agent]),
    '/v1/agents/{agent}/status': read('getAgentStatus', 'An Agent’s pods, partitions, load and scaling', ref('schemas', 'AgentStatus'), [agent]),
  };
  if (topics) {
    paths['/v1/topics/{topic}'] = {
      post: {
        operationId: 'publishEvent',
        tags: ['topics'],
        summary: 'Publish an event to a topic',
        description: `Stores the body as one event of the topic (created on first use); the subscribers’ methods run after.${subscribers(agents)}`,
        parameters: [
          { name: 'topic', in: 'path', required: true, schema: { type: 'string', maxLength: MAX_TOPIC_LENGTH, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' } },
          { ...ref('parameters', 'IdempotencyKey'), description: 'The event’s id: the same id again within 10 minutes stores nothing new.' },
        ],
        requestBody: { required: true, content: json(ref('schemas', 'AnyJson')) },
        responses: {
          '202': { description: 'Stored.', content: json(ref('schemas', 'EventStored')) },
          ...errorResponses([...READ_ERROR_STATUSES, ERROR_CODES.payload_too_large.status], authRequired),
        },
      },
    };
  }
  return paths;
}

/** /healthz, /readyz, /metrics: open whatever the gateway's tokens. */
export function healthPaths(): OpenApiObject {
  const open = (operationId: string, summary: string, content: OpenApiObject, errors: readonly number[] = []): OpenApiObject => ({
    get: { operationId, tags: ['health'], summary, security: [], responses: { '200': { description: summary, content }, ...Object.fromEntries(errors.map((status) => [String(status), ref('responses', `Error${status}`)])) } },
  });
  return {
    '/healthz': open('healthz', 'The process runs (liveness)', json({ type: 'object', properties: { status: { const: 'ok' } } })),
    '/readyz': open('readyz', 'Connected to NATS with the registry loaded (readiness)', json({ type: 'object', properties: { status: { const: 'ready' } } }), [ERROR_CODES.unavailable.status]),
    '/metrics': open('metrics', 'Prometheus metrics', { 'text/plain': { schema: { type: 'string' } } }),
  };
}
